"""What a node handler gets: the options, the resolver for everything outside the page, and what
the page has used so far (JSX, imports, heading ids, footnote labels, unknown node types)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, Protocol

Node = dict[str, Any]
MathMode = Literal["text", "katex"]


@dataclass(frozen=True)
class RenderOptions:
    # "text": formulas as code, readable on any Docusaurus site; "katex": $…$ for remark-math.
    math: MathMode = "text"


class Link(NamedTuple):
    """Where a link goes: ``url`` is what to write (a relative path with its anchor, or an external
    URL); None means there is nothing to link to, and the text is written plain."""

    url: str | None
    title: str | None = None  # the target page's title, for links that carry no text of their own
    private: bool = False  # the target is a page that is not published: nothing of it may show


class ChildPage(NamedTuple):
    title: str
    icon: str | None
    url: str


class Resolver(Protocol):
    """Everything a page's rendering needs from outside the page itself."""

    def link(self, href: str) -> Link:
        """A link mark's ``href``: another page, a heading, an attachment, or the web."""
        ...

    def page(self, page_id: str | None, slug_id: str | None, anchor: str | None) -> Link:
        """A page mention (or a database embed) by page id and/or slugId, with a heading anchor."""
        ...

    def file(self, attachment_id: str, file_name: str) -> str | None:
        """The relative path of a published attachment, or None when it cannot be had."""
        ...

    def children(self) -> list[ChildPage]:
        """The page's child pages in Docmost's order (the subpages block)."""
        ...

    def transclusion(self, page_id: str, block_id: str) -> list[Node] | None:
        """The content of a synced block (``transclusionSource``) of any page, or None."""
        ...


_ANCHOR_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def heading_anchor(raw: object) -> str | None:
    """Docmost's heading id as Docusaurus accepts it in ``{#id}`` (word characters and ``-``);
    links to the heading go through the same function, so both ends always agree."""
    if not isinstance(raw, str):
        return None
    anchor = _ANCHOR_UNSAFE.sub("-", raw).strip("-")
    return anchor or None


@dataclass
class RenderContext:
    options: RenderOptions
    resolver: Resolver
    render_blocks: Callable[[list[Node], RenderContext], str]
    render_inline: Callable[[list[Node], RenderContext], str]
    jsx: bool = False  # the page needs MDX: it is written as .mdx
    imports: set[str] = field(default_factory=set)
    anchors: list[str] = field(default_factory=list)
    footnotes: dict[str, str] = field(default_factory=dict)  # data-id → label
    unknown: set[str] = field(default_factory=set)
    in_table: bool = False  # inside a GFM table cell
    in_heading: bool = False
    list_alternate: bool = False  # this list follows a list of the same kind: other marker
    transclusion_depth: int = 0

    def blocks(self, nodes: list[Node] | None) -> str:
        return self.render_blocks(nodes or [], self)

    def inline(self, nodes: list[Node] | None) -> str:
        return self.render_inline(nodes or [], self)

    def use_jsx(self) -> None:
        self.jsx = True


def attrs(node: Node) -> dict[str, Any]:
    value = node.get("attrs")
    return value if isinstance(value, dict) else {}


def children(node: Node) -> list[Node]:
    value = node.get("content")
    return [child for child in value if isinstance(child, dict)] if isinstance(value, list) else []


def text_content(node: Node) -> str:
    """The plain text of a node and everything in it (for unknown nodes and labels)."""
    if node.get("type") == "text":
        return str(node.get("text") or "")
    parts = [text_content(child) for child in children(node)]
    value = attrs(node).get("text")
    if not parts and isinstance(value, str):
        return value
    return "".join(parts)
