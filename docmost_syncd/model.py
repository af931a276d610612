"""The space model: the one structure naming, layout, rendering and writing work on.

``sync`` builds it from the page listing of the server, ``convert`` from an export ZIP's
metadata. It holds no page bodies (they stay in the page cache or the ZIP until the writer needs
them), so memory does not grow with the size of pages, and it imports nothing that talks to a
server.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

# Docmost's internal links: /s/<space>/p/<title slug>-<slugId>, or /p/<slugId> (on any host:
# Docmost writes its APP_URL, which need not be the URL docmost-syncd uses).
PAGE_URL = re.compile(r"^(?:/s/(?P<space>[^/]+))?/p/(?:[^/]*-)?(?P<slug_id>[A-Za-z0-9]{6,})/?$")


WORD_JOINER = "\u2060"  # invisible, and no line may break at it
BACKSLASH_STAND_IN = "\u2216"  # ∖ SET MINUS: drawn as a backslash by the default fonts of every OS
# Where a label could end the script element it is copied into, or open an HTML comment there.
_MARKUP_OPENING = re.compile(r"<(?=[/!?])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # tabs and line breaks stay


def safe_label(text: str) -> str:
    """A title, label or icon as Docusaurus may copy it into HTML unescaped, looking the same.

    Docusaurus writes every page's breadcrumbs into ``<script type="application/ld+json">`` with
    ``JSON.stringify``, which leaves ``</script>`` as it is: a title could end the script element
    and add markup to every page below it. A word joiner after each ``<`` that opens ``</``,
    ``<!`` or ``<?`` breaks every such sequence and shows nothing. Control characters (NUL, bidi
    marks are not controls and stay; tabs and line breaks, which YAML and HTML take as blanks, too)
    become spaces. A backslash becomes ∖ (U+2216, drawn the same): Docusaurus copies front matter
    into a JavaScript string without escaping backslashes (stringify-object 3), so ``C:\\new``
    would show a line break and a trailing or ``\\u`` backslash fails the whole build. U+2216 is
    in the default fonts of Windows (Segoe UI Symbol), macOS, Android (Noto) and Linux (DejaVu);
    U+29F5, used before, is in none of them and showed as an empty box."""
    text = _MARKUP_OPENING.sub("<" + WORD_JOINER, _CONTROL.sub(" ", text))
    return text.replace("\\", BACKSLASH_STAND_IN)


def display_title(title: str | None) -> str:
    """What the sidebar and front matter show: the exact Docmost title (safe as a label), or
    Docmost's 'Untitled'."""
    return safe_label(title) if title and title.strip() else "Untitled"


def sibling_order(position: str, page_id: str) -> tuple[bytes, str]:
    """Docmost orders siblings by ``position COLLATE "C"`` then id: compare positions byte-wise."""
    return (position.encode("utf-8"), page_id)


@dataclass(slots=True)
class Attachment:
    id: str
    file_name: str
    entry: str = ""  # the ZIP entry holding the bytes (convert); empty when they come from the cache
    path: str = ""  # published path relative to the space folder, set by the layout step


@dataclass(slots=True)
class Page:
    id: str
    slug_id: str
    title: str | None
    icon: str | None
    position: str
    parent_id: str | None
    updated_at: str | None = None
    unlisted: bool = False  # shared with search indexing off (sync.publish = "shared")
    share_key: str = ""  # the key of the share that publishes it (sync.publish = "shared")
    author: str | None = None  # who changed it last, when Docmost says
    tags: tuple[str, ...] = ()  # its Docmost labels
    source: str | None = None  # ZIP entry of the body (convert only)
    location: tuple[str, ...] = ()  # where the export's own links place it (convert only)
    empty: bool = False  # no body at all: with no title and no children it is an editor placeholder
    extension: str = ".md"  # ".mdx" when the rendering needs JSX (see render/)
    children: list[Page] = field(default_factory=list)
    name: str = ""  # path component, set by the layout step
    path: str = ""  # published file relative to the space folder, set by the layout step
    sidebar_position: int = 0

    @property
    def display_title(self) -> str:
        return display_title(self.title)

    @property
    def sidebar_label(self) -> str:
        """What the sidebar shows for the page (or its folder): its emoji before its title, as
        Docmost's tree does."""
        return f"{safe_label(self.icon)} {self.display_title}" if self.icon else self.display_title


@dataclass
class SpaceModel:
    id: str
    name: str
    slug: str
    folder: str  # the published folder name under the output folder
    description: str = ""  # the space's description in Docmost (the site's home page shows it)
    roots: list[Page] = field(default_factory=list)
    attachments: dict[str, Attachment] = field(default_factory=dict)  # by attachment id
    dropped: list[str] = field(default_factory=list)  # page ids left out, with the reason logged

    def walk(self) -> Iterator[Page]:
        """Every page, depth-first, siblings in Docmost order."""
        stack = list(reversed(self.roots))
        while stack:
            page = stack.pop()
            yield page
            stack.extend(reversed(page.children))

    def page_count(self) -> int:
        return sum(1 for _ in self.walk())


def build_tree(model: SpaceModel, pages: Iterable[Page]) -> SpaceModel:
    """Hang every page under its parent (a page whose parent is not listed becomes a root) and
    sort siblings in Docmost's order."""
    listed = list(pages)
    by_id = {page.id: page for page in listed}
    for page in listed:
        parent = by_id.get(page.parent_id) if page.parent_id else None
        (parent.children if parent is not None and parent is not page else model.roots).append(page)
    for group in [model.roots, *(page.children for page in listed)]:
        group.sort(key=lambda p: sibling_order(p.position, p.id))
    return model


def drop_empty_placeholders(model: SpaceModel) -> dict[str, int]:
    """An untitled page with no body and no children is an editor placeholder, not content.
    A page titled "Untitled", or any page with text or children, stays."""

    def prune(pages: list[Page]) -> list[Page]:
        kept = []
        for page in pages:
            page.children = prune(page.children)
            if page.children or (page.title and page.title.strip()) or not page.empty:
                kept.append(page)
            else:
                model.dropped.append(page.id)
        return kept

    model.roots = prune(model.roots)
    return {"dropped": len(model.dropped)}


# ---- what Docmost's API says of spaces and pages ------------------------------------------------

@dataclass(frozen=True)
class Space:
    id: str
    name: str
    slug: str
    role: str | None = None
    description: str = ""
    sharing_disabled: bool = False  # public sharing switched off for the space (a licensed feature)

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> Space:
        membership = item.get("membership") or {}
        sharing = ((item.get("settings") or {}).get("sharing") or {}) if isinstance(item.get("settings"), dict) else {}
        return cls(
            id=str(item["id"]),
            name=str(item.get("name") or item.get("slug") or item["id"]),
            slug=str(item.get("slug") or ""),
            role=membership.get("role"),
            description=str(item.get("description") or ""),
            sharing_disabled=bool(sharing.get("disabled")),
        )


@dataclass(frozen=True, slots=True)
class ListedPage:
    """One live page as ``/api/pages/recent`` lists it: where it sits, and when it last changed
    (every edit, rename and move bumps ``updatedAt``)."""

    id: str
    slug_id: str
    title: str | None
    icon: str | None
    position: str
    parent_id: str | None
    updated_at: str

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> ListedPage | None:
        """None for an item that is not a live page (no id or update time, or trashed)."""
        if not item.get("id") or not item.get("updatedAt") or item.get("deletedAt"):
            return None
        return cls(
            id=str(item["id"]),
            slug_id=str(item.get("slugId") or ""),
            title=item.get("title"),
            icon=item.get("icon") or None,
            position=str(item.get("position") or ""),
            parent_id=item.get("parentPageId") or None,
            updated_at=str(item["updatedAt"]),
        )

    def fingerprint(self) -> list[str | None]:
        """Everything of the listing that shapes published files."""
        return [self.id, self.slug_id, self.title, self.icon, self.position, self.parent_id, self.updated_at]


# ---- what a build knows of a page without reading it --------------------------------------------

Ref = tuple[str, ...]
"""What a page refers to: ("link", href), ("page", page id, slugId, anchor), ("file", attachment
id, file name), ("children",) or ("transclusion", page id, block id)."""


@dataclass(frozen=True, slots=True)
class PageFacts:
    """What the rest of a build needs to know about a page without rendering it."""

    mdx: bool
    empty: bool
    anchors: frozenset[str]
    refs: tuple[Ref, ...]
    unknown: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "mdx": self.mdx,
            "empty": self.empty,
            "anchors": sorted(self.anchors),
            "refs": [list(ref) for ref in self.refs],
            "unknown": list(self.unknown),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PageFacts:
        return cls(
            mdx=bool(data["mdx"]),
            empty=bool(data["empty"]),
            anchors=frozenset(str(a) for a in data["anchors"]),
            refs=tuple(tuple(str(part) for part in ref) for ref in data["refs"]),
            unknown=tuple(str(u) for u in data.get("unknown") or ()),
        )


@dataclass(frozen=True, slots=True)
class PageRecord:
    """What a build needs to know of a page without reading its content."""

    updated_at: str
    content_sha: str
    facts: PageFacts
    author: str | None = None  # who last changed it (lastUpdatedBy.name), when Docmost says


