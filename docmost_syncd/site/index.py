"""One index of every page of every listed space, built before any space is built, and the
resolver each page renders against.

The index knows where each page is published, under which title, with which heading ids, and
what its content is (by digest); so a link, a mention or a synced block resolves across spaces
without building anything twice. A space that was not listed in this run (not selected, or its
listing failed) is known from its published ``_metadata.json``.

``Target`` is what a reference points at, independent of the page it is written on. Its
``describe()`` string is what the build keys are made of: a page is rendered again exactly when
the description of something it refers to changes.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from docmost_syncd.model import PAGE_URL, Page, PageRecord, SpaceModel, display_title
from docmost_syncd.render import ChildPage, Link, Ref, heading_anchor
from docmost_syncd.render.context import Node, attrs, children
from docmost_syncd.render.media import FILE_URL
from docmost_syncd.site.output import metadata_pages

WEB_SCHEMES = ("http", "https", "mailto", "tel")
MAX_TRANSCLUSION_DEPTH = 3


@dataclass(frozen=True, slots=True)
class IndexedPage:
    id: str
    slug_id: str
    space_id: str
    folder: str  # the space's published folder
    path: str  # the page's file, relative to the space folder
    title: str
    icon: str | None
    anchors: frozenset[str]
    content_sha: str | None = None  # None: known only from a published _metadata.json
    refs: tuple[Ref, ...] = ()
    updated_at: str | None = None


@dataclass(frozen=True, slots=True)
class Target:
    """What a reference points at: a page (with a heading when it has it), the web, or nothing."""

    kind: Literal["page", "web", "none"]
    page: IndexedPage | None = None
    anchor: str | None = None
    url: str | None = None
    missing_anchor: str | None = None  # asked for a heading the page does not have
    reason: str = ""  # why there is nothing to link to
    internal: bool = False  # a dead link into this Docmost (it may come alive in another space)
    private: bool = False  # a page Docmost does not share (sync.publish = "shared"): nothing of it is written

    def depends_on_others(self, space_id: str) -> bool:
        """The answer can change with another space: a page there, or a dead link into this
        Docmost that may come alive in any space."""
        return (self.page is not None and self.page.space_id != space_id) or self.internal

    def describe(self) -> str:
        if self.page is not None:
            page = self.page
            return repr(("page", page.folder, page.path, page.title, self.anchor, self.missing_anchor))
        return repr((self.kind, self.url, self.internal, *(["private"] if self.private else [])))


class SiteIndex:
    def __init__(self, server_url: str | None = None) -> None:
        self.server_url = server_url.rstrip("/") if server_url else None
        self.server_host = urlsplit(server_url).netloc if server_url else None
        self.pages: dict[str, IndexedPage] = {}
        self.slugs: dict[str, str] = {}  # slugId → page id
        self.space_slugs: set[str] = set()  # Docmost slugs of every known space
        self.private: set[str] = set()  # ids and slugIds of pages listed but not shared
        self._by_space: dict[str, set[str]] = {}

    def _add(self, page: IndexedPage) -> None:
        self.pages[page.id] = page
        self._by_space.setdefault(page.space_id, set()).add(page.id)
        if page.slug_id:
            self.slugs[page.slug_id] = page.id

    def add_space(self, model: SpaceModel, records: Mapping[str, PageRecord]) -> None:
        """A space as laid out in this run (every page of it has a record: lay_out needs it)."""
        self.remove_space(model.id)
        self.space_slugs.add(model.slug)
        for page in model.walk():
            record = records[page.id]
            self._add(
                IndexedPage(
                    page.id, page.slug_id, model.id, model.folder, page.path, page.display_title, page.icon,
                    record.facts.anchors, record.content_sha, record.facts.refs, record.updated_at,
                )
            )  # fmt: skip

    def add_published(self, space_id: str, folder: str, metadata: dict[str, Any]) -> None:
        """A space known only from what was last published."""
        self.remove_space(space_id)
        slug = (metadata.get("space") or {}).get("slug")
        if slug:
            self.space_slugs.add(str(slug))
        for node in metadata_pages(metadata):
            if node.get("id") and node.get("path"):
                self._add(
                    IndexedPage(
                        str(node["id"]), str(node.get("slugId") or ""), space_id, folder, str(node["path"]),
                        display_title(node.get("title")), node.get("icon"),
                        frozenset(str(a) for a in node.get("anchors") or ()),
                    )
                )  # fmt: skip

    def remove_space(self, space_id: str) -> None:
        for page_id in self._by_space.pop(space_id, set()):
            page = self.pages.pop(page_id, None)
            if page is not None and self.slugs.get(page.slug_id) == page_id:
                del self.slugs[page.slug_id]

    def find(self, page_id: str | None, slug_id: str | None) -> IndexedPage | None:
        page = self.pages.get(page_id) if page_id else None
        if page is None and slug_id:
            found = self.slugs.get(slug_id)
            page = self.pages.get(found) if found else None
        return page

    # ---- what a reference points at ---------------------------------------------------------

    def _page_target(
        self, page: IndexedPage | None, anchor: str | None, internal: bool, asked: tuple[str | None, ...] = ()
    ) -> Target:
        if page is None and any(key in self.private for key in asked if key):
            return Target("none", reason="a page that is not shared publicly", internal=internal, private=True)
        if page is None:
            return Target("none", reason="a page that no longer exists", internal=internal)
        wanted = heading_anchor(anchor) if anchor else None
        if wanted and wanted in page.anchors:
            return Target("page", page, anchor=wanted)
        return Target("page", page, missing_anchor=wanted)

    def attachment_link(self, href: str) -> tuple[str, str] | None:
        """(attachment id, file name) when ``href`` is a file uploaded to this Docmost."""
        parts = urlsplit(href)
        match = FILE_URL.match(parts.path)
        if match and parts.netloc in ("", self.server_host):
            return match.group(1), unquote(match.group(2))
        return None

    def lookup_href(self, href: str) -> Target:
        """A link mark's href (``#heading`` links are the page's own business)."""
        href = href.strip()
        parts = urlsplit(href)
        if parts.scheme and parts.scheme.lower() not in WEB_SCHEMES:
            return Target("none", reason=f"a {parts.scheme}: URL is never published")
        on_server = not parts.netloc or parts.netloc == self.server_host
        page_match = PAGE_URL.match(parts.path)
        if page_match:
            page = self.find(None, page_match.group("slug_id"))
            if page is not None or page_match.group("slug_id") in self.private:
                return self._page_target(page, unquote(parts.fragment) or None, True, (page_match.group("slug_id"),))
            space = page_match.group("space")
            if on_server or (space is not None and space in self.space_slugs):
                return Target("none", reason="a page that no longer exists", internal=True)
            return Target("web", url=href)  # another wiki's page
        if parts.scheme or parts.netloc:
            return Target("web", url=href)
        if href.startswith("/"):
            if self.server_url:
                return Target("web", url=self.server_url + href)  # a Docmost route: send readers there
            return Target("none", reason="a path on the Docmost server, whose URL is unknown")
        return Target("none", reason="a relative path, which Docmost does not write")

    def lookup(self, ref: Ref) -> Target:
        """A link or page reference, described independently of the page it is on."""
        if ref[0] == "link":
            return self.lookup_href(ref[1])
        if ref[0] == "page":
            return self._page_target(self.find(ref[1] or None, ref[2] or None), ref[3] or None, True, (ref[1], ref[2]))
        raise ValueError(f"not a page reference: {ref!r}")


def files_used(index: SiteIndex, refs: tuple[Ref, ...], depth: int = 0) -> dict[str, str]:
    """Attachments (id → file name) a page shows, those of synced blocks it pulls in included."""
    found = {ref[1].lower(): ref[2] for ref in refs if ref[0] == "file"}
    if depth < MAX_TRANSCLUSION_DEPTH:
        for ref in refs:
            source = index.pages.get(ref[1]) if ref[0] == "transclusion" else None
            if source is not None:
                found.update(files_used(index, source.refs, depth + 1))
    return found


def foreign_description(index: SiteIndex, ref_json: str) -> str:
    """What a reference into another space resolves to now (see ``PageResolver.foreign``)."""
    try:
        ref = tuple(str(part) for part in json.loads(ref_json))
    except (ValueError, TypeError):
        return "unreadable"
    if ref and ref[0] == "transclusion":
        source = index.pages.get(ref[1]) if len(ref) > 1 else None
        return str(source.content_sha if source is not None else None)
    if ref and ref[0] in ("link", "page") and len(ref) == (2 if ref[0] == "link" else 4):
        return index.lookup(ref).describe()
    return "unknown"


def find_synced_block(content: Any, block_id: str) -> list[Node] | None:
    """The content of the ``transclusionSource`` node with this id in a page's content."""
    stack = [content] if isinstance(content, dict) else []
    while stack:
        node = stack.pop()
        if node.get("type") == "transclusionSource" and str(attrs(node).get("id")) == block_id:
            return children(node)
        stack.extend(children(node))
    return None


ContentLoader = Callable[[str], Any]
"""page id → the page's content (from the cache), or None."""


@dataclass
class SpaceFiles:
    """The attachments a space publishes: attachment id → path in the space folder."""

    paths: dict[str, str] = field(default_factory=dict)


class PageResolver:
    """Answers the renderer's questions for one page, in paths relative to that page.

    It notes what it could not resolve (``warnings``) and the references whose answer depends on
    another space (``foreign``: reference → description), which the space's state keeps so that
    a later run rebuilds the space when one of those answers changes."""

    def __init__(
        self,
        index: SiteIndex,
        model: SpaceModel,
        page: Page,
        anchors: frozenset[str],
        files: SpaceFiles,
        load_content: ContentLoader,
        warnings: list[str],
        foreign: dict[str, str],
    ) -> None:
        self.index = index
        self.model = model
        self.current = page
        self.anchors = anchors
        self.files = files
        self.load_content = load_content
        self.warnings = warnings
        self.foreign = foreign
        self._here = posixpath.join(model.folder, page.path)

    def _warn(self, message: str) -> None:
        self.warnings.append(f"{self.current.path}: {message}")

    def _relative(self, folder: str, path: str) -> str:
        return posixpath.relpath(posixpath.join(folder, path), posixpath.dirname(self._here))

    def _note_foreign(self, ref: Ref, target: Target) -> None:
        if target.depends_on_others(self.model.id):
            self.foreign[json.dumps(ref, ensure_ascii=False)] = target.describe()

    def _to_link(self, ref: Ref, target: Target, what: str) -> Link:
        self._note_foreign(ref, target)
        if target.page is None:
            if target.kind == "web":
                return Link(target.url)
            self._warn(f"{what} points at {target.reason}; written as plain text")
            return Link(None, private=target.private)
        if target.missing_anchor:
            self._warn(
                f"{what} asks for heading #{target.missing_anchor}, which the page does not have; "
                "linked to the page without its anchor"
            )
        url = self._relative(target.page.folder, target.page.path)
        return Link(f"{url}#{target.anchor}" if target.anchor else url, target.page.title)

    # ---- the Resolver protocol --------------------------------------------------------------

    def link(self, href: str) -> Link:
        href = href.strip()
        if not href:
            self._warn("empty link; written as plain text")
            return Link(None)
        if href.startswith("#"):
            anchor = heading_anchor(unquote(href[1:]))
            if anchor in self.anchors:
                return Link(f"#{anchor}")
            self._warn(
                f"link to heading {href} of this page, which has no such heading; written as plain text"
            )
            return Link(None)
        uploaded = self.index.attachment_link(href)
        if uploaded is not None:
            return Link(self.file(*uploaded))
        return self._to_link(("link", href), self.index.lookup_href(href), f"link {href!r}")

    def page(self, page_id: str | None, slug_id: str | None, anchor: str | None) -> Link:
        ref: Ref = ("page", page_id or "", slug_id or "", anchor or "")
        return self._to_link(ref, self.index.lookup(ref), f"mention of page {slug_id or page_id}")

    def file(self, attachment_id: str, file_name: str) -> str | None:
        path = self.files.paths.get(attachment_id.lower())
        if path is None:
            self._warn(f"attachment {attachment_id}/{file_name} could not be fetched; written as plain text")
            return None
        return "./" + self._relative(self.model.folder, path)

    def children(self) -> list[ChildPage]:
        return [
            ChildPage(child.display_title, child.icon, self._relative(self.model.folder, child.path))
            for child in self.current.children
        ]

    def transclusion(self, page_id: str, block_id: str) -> list[Node] | None:
        source = self.index.pages.get(page_id)
        if source is not None and source.space_id != self.model.id:
            self.foreign[json.dumps(["transclusion", page_id, block_id])] = str(source.content_sha)
        content = self.load_content(page_id) if source is not None else None
        nodes = find_synced_block(content, block_id) if content is not None else None
        if nodes is None:
            self._warn(f"synced block {block_id} of page {page_id} was not found")
        return nodes


class Answers:
    """What every reference of a space's pages resolves to, described independently of the page
    it is written on (a page's own path is part of its key anyway), worked out once per build
    however many pages share the reference. It notes the answers that depend on another space
    (``foreign``), for the state: a later run rebuilds the space when one of them changes."""

    def __init__(self, index: SiteIndex, model: SpaceModel, files: SpaceFiles) -> None:
        self.index = index
        self.model = model
        self.files = files
        self.foreign: dict[str, str] = {}
        self._known: dict[Ref, str] = {}

    def describe(self, ref: Ref, depth: int = 0) -> str:
        known = self._known.get(ref)
        if known is None:
            known = self._known[ref] = self._describe(ref, depth)
        return known

    def _describe(self, ref: Ref, depth: int) -> str:
        kind = ref[0]
        if kind == "link":
            href = ref[1].strip()
            if href.startswith("#"):
                return "own heading"  # the page's own headings come with its content
            uploaded = self.index.attachment_link(href)
            if uploaded is not None:
                return repr(self.files.paths.get(uploaded[0].lower()))
        if kind in ("link", "page"):
            target = self.index.lookup(ref)
            if target.depends_on_others(self.model.id):
                self.foreign[json.dumps(ref, ensure_ascii=False)] = target.describe()
            return target.describe()
        if kind == "file":
            return repr(self.files.paths.get(ref[1].lower()))
        if kind == "transclusion":
            source = self.index.pages.get(ref[1])
            if source is None or depth >= MAX_TRANSCLUSION_DEPTH:
                return "none"
            if source.space_id != self.model.id:
                self.foreign[json.dumps(list(ref))] = str(source.content_sha)
            # The synced block renders in the page: what it refers to resolves there too.
            inner = [self.describe(r, depth + 1) for r in source.refs if r[0] != "children"]
            return json.dumps([source.content_sha, inner])
        return kind  # "children": the page's children are part of its key (see job.py)
