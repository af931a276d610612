"""Docmost page JSON (ProseMirror) → Docusaurus markdown / MDX.

``render_page`` walks a page's node tree through one table of handlers (``nodes.py``); the text
of every node is escaped where it is written (``markdown.py``), code and math are verbatim. All
that lies outside the page — other pages, headings, files, child pages, synced blocks — is asked
of a ``Resolver``, so the renderer never reaches a server or a disk.

``analyse_page`` renders once with a resolver that only takes notes: it tells, from the content
alone, what the page refers to, which heading ids it has, whether it needs MDX and whether it is
empty. Those facts are kept with the page in the cache, so a build knows every page's path and
what every page depends on without reading the pages that did not change.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from docmost_syncd.model import PageFacts, Ref
from docmost_syncd.render.context import (
    ChildPage,
    Link,
    Node,
    RenderContext,
    RenderOptions,
    Resolver,
    children,
    heading_anchor,
    text_content,
)
from docmost_syncd.render.inline import render_inline
from docmost_syncd.render.media import FILE_URL
from docmost_syncd.render.nodes import render_blocks, render_document
from docmost_syncd.site.layout import attachment_path

# Bumped whenever the same content renders differently or yields other facts: cached facts of
# an older renderer are computed again (from the cached content, without a request).
RENDERER_VERSION = 3


__all__ = [
    "RENDERER_VERSION",
    "ChildPage",
    "Link",
    "PageFacts",
    "Ref",
    "RenderOptions",
    "Rendered",
    "Resolver",
    "analyse_page",
    "heading_anchor",
    "render_page",
]


@dataclass(frozen=True)
class Rendered:
    body: str  # the page's markdown, without front matter
    mdx: bool  # it uses JSX: the page is written as .mdx
    imports: tuple[str, ...]  # MDX import lines the body needs
    anchors: tuple[str, ...]  # explicit heading ids, in page order
    unknown: tuple[str, ...]  # node and mark types this renderer does not know
    description: str = ""  # the first paragraph as plain text, at most 160 characters


def render_page(content: Node | None, resolver: Resolver, options: RenderOptions) -> Rendered:
    ctx = RenderContext(options, resolver, render_blocks, render_inline)
    body = render_document(content, ctx) if isinstance(content, dict) else ""
    return Rendered(
        body=body,
        mdx=ctx.jsx,
        imports=tuple(sorted(ctx.imports)),
        anchors=tuple(ctx.anchors),
        unknown=tuple(sorted(ctx.unknown)),
        description=description(content),
    )


DESCRIPTION_LENGTH = 160


def description(content: Node | None) -> str:
    """The page's first paragraph with text, as plain text on one line, at most 160 characters
    (cut at a word where it can be, with an ellipsis): for search engines and link previews."""
    for node in children(content) if isinstance(content, dict) else []:
        if node.get("type") != "paragraph":
            continue
        text = " ".join(text_content(node).split())
        if not text:
            continue
        if len(text) <= DESCRIPTION_LENGTH:
            return text
        cut = text[: DESCRIPTION_LENGTH - 1]
        cut = cut.rsplit(" ", 1)[0] if " " in cut[DESCRIPTION_LENGTH // 2 :] else cut
        return cut.rstrip(" ,.;:") + "…"
    return ""


class _NoteTaker:
    """A resolver that answers every question with a stand-in and writes the question down."""

    def __init__(self) -> None:
        self.refs: dict[Ref, None] = {}  # an ordered set: first mention first

    def _note(self, ref: Ref) -> None:
        self.refs.setdefault(ref)

    def link(self, href: str) -> Link:
        self._note(("link", href))
        uploaded = FILE_URL.match(href.strip())
        if uploaded:  # a link to an uploaded file: the build must place the file
            self._note(("file", uploaded.group(1), unquote(uploaded.group(2))))
        return Link(href or "#")

    def page(self, page_id: str | None, slug_id: str | None, anchor: str | None) -> Link:
        self._note(("page", page_id or "", slug_id or "", anchor or ""))
        return Link("#")

    def file(self, attachment_id: str, file_name: str) -> str | None:
        self._note(("file", attachment_id, file_name))
        return attachment_path(attachment_id, file_name)  # the real name: players depend on it

    def children(self) -> list[ChildPage]:
        self._note(("children",))
        return []

    def transclusion(self, page_id: str, block_id: str) -> list[Node] | None:
        self._note(("transclusion", page_id, block_id))
        return None


def analyse_page(content: Node | None) -> PageFacts:
    notes = _NoteTaker()
    rendered = render_page(content, notes, RenderOptions())
    return PageFacts(
        mdx=rendered.mdx,
        empty=not rendered.body.strip(),
        anchors=frozenset(rendered.anchors),
        refs=tuple(notes.refs),
        unknown=rendered.unknown,
    )
