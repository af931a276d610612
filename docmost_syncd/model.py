"""The space model: the one structure the postprocess chain works on.

Built from the live page tree (the API, or the export's metadata when converting offline) and the
export ZIP. Page bodies stay in the ZIP until the writer needs them (``source``), so memory does
not grow with the space; only pages the ZIP lost carry their body in memory (``body``).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from docmost_syncd.docmost.archive import SafeArchive, decode_metadata_key
from docmost_syncd.docmost.models import TreePage, sibling_order
from docmost_syncd.errors import BuildError
from docmost_syncd.log import get_logger

ATTACHMENT_PATH = re.compile(r"(?:^|/)files/([0-9a-fA-F-]{36})/([^/]+)$")
_H1 = re.compile(r"^#[ \t]+(.+?)[ \t]*#*[ \t]*$")


def display_title(title: str | None) -> str:
    """What the sidebar and front matter show: the exact Docmost title, or Docmost's 'Untitled'."""
    return title if title and title.strip() else "Untitled"


@dataclass(slots=True)
class Attachment:
    id: str
    file_name: str
    entry: str  # the ZIP entry holding the bytes
    path: str = ""  # published path relative to the space folder, set by the layout step


@dataclass(slots=True)
class Page:
    id: str
    slug_id: str
    title: str | None
    icon: str | None
    position: str
    parent_id: str | None
    source: str | None = None  # ZIP entry of the body; None when the body came from elsewhere
    body: str | None = None  # only for pages the ZIP lost (fetched one by one)
    children: list[Page] = field(default_factory=list)
    name: str = ""  # path component, set by the naming step
    path: str = ""  # published .md path relative to the space folder, set by the layout step
    sidebar_position: int = 0

    @property
    def display_title(self) -> str:
        return display_title(self.title)

    @property
    def source_dir(self) -> str:
        """The ZIP folder the body's relative links were written against."""
        return posixpath.dirname(self.source) if self.source else ""


@dataclass
class SpaceModel:
    id: str
    name: str
    slug: str
    folder: str  # the published folder name under the output folder
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


PageFetcher = Callable[[str], str]
"""Returns the markdown of one page by id (the single-page export)."""


def _link_tree(model: SpaceModel, pages: list[Page]) -> None:
    by_id = {page.id: page for page in pages}
    for page in pages:
        parent = by_id.get(page.parent_id) if page.parent_id else None
        (parent.children if parent is not None else model.roots).append(page)
    for group in [model.roots, *(page.children for page in pages)]:
        group.sort(key=lambda p: sibling_order(p.position, p.id))


def _index_attachments(archive: SafeArchive) -> dict[str, Attachment]:
    """Attachment id → one ZIP copy (Docmost stores a copy per folder that references it)."""
    found: dict[str, Attachment] = {}
    for name in archive.names():
        match = ATTACHMENT_PATH.search(name)
        if match and match.group(1) not in found:
            found[match.group(1)] = Attachment(id=match.group(1), file_name=match.group(2), entry=name)
    return found


def _entries_by_page_id(archive: SafeArchive) -> dict[str, str]:
    """pageId → ZIP entry, leaving out every entry two pages claim (Docmost's collisions)."""
    metadata = archive.metadata()
    if metadata is None:
        return {}
    claims: dict[str, list[str]] = {}
    for key, info in metadata["pages"].items():
        if isinstance(info, dict) and info.get("pageId"):
            claims.setdefault(decode_metadata_key(key), []).append(str(info["pageId"]))
    entries: dict[str, str] = {}
    for entry, page_ids in claims.items():
        if len(page_ids) == 1 and entry in archive.files and entry not in archive.ambiguous:
            entries[page_ids[0]] = entry
    return entries


def build_from_tree(
    space_id: str,
    name: str,
    slug: str,
    folder: str,
    tree: list[TreePage],
    archive: SafeArchive | None,
    fetch_page: PageFetcher | None,
) -> SpaceModel:
    """The live tree decides which pages exist; the ZIP supplies their bodies. A tree page the
    ZIP lost (Docmost drops pages whose file names collide) is fetched with the single-page export.
    ZIP pages outside the live tree (trash on servers older than 0.25) are not published."""
    log = get_logger(space=folder)
    model = SpaceModel(id=space_id, name=name, slug=slug, folder=folder)
    entries = _entries_by_page_id(archive) if archive is not None else {}
    if archive is not None:
        model.attachments = _index_attachments(archive)
    pages: list[Page] = []
    fetched = 0
    for item in tree:
        page = Page(
            id=item.id,
            slug_id=item.slug_id,
            title=item.title,
            icon=item.icon,
            position=item.position,
            parent_id=item.parent_id,
            source=entries.get(item.id),
        )
        if page.source is None:
            if fetch_page is None:
                raise BuildError(
                    f"page {item.id} ({item.title!r}) is missing from the export and cannot be fetched"
                )
            page.body = fetch_page(item.id)
            fetched += 1
        pages.append(page)
    if fetched:
        log.info(
            "space.pages_recovered", count=fetched, reason="missing from the export ZIP (name collisions)"
        )
    live = {page.id for page in pages}
    outside = sum(1 for page_id in entries if page_id not in live)
    if outside:
        log.info(
            "space.pages_not_live", count=outside, reason="in the ZIP but not in the live tree (trashed)"
        )
    _link_tree(model, pages)
    return model


def tree_from_archive(archive: SafeArchive) -> list[TreePage]:
    """Offline (``convert``): the tree from docmost-metadata.json, titles from each file's first H1."""
    metadata = archive.metadata()
    if metadata is None:
        raise BuildError(
            f"{archive.path.name} has no docmost-metadata.json (Docmost older than 0.25); "
            "convert needs it to know the page tree"
        )
    key_to_id: dict[str, str] = {}
    for key, info in metadata["pages"].items():
        if isinstance(info, dict) and info.get("pageId"):
            key_to_id[key] = str(info["pageId"])
    tree: list[TreePage] = []
    for key, info in metadata["pages"].items():
        if key not in key_to_id:
            continue
        entry = decode_metadata_key(key)
        title = _first_h1(archive, entry) if entry in archive.files else None
        if title is None:
            title = posixpath.splitext(posixpath.basename(entry))[0]
        parent_key = info.get("parentPath")
        tree.append(
            TreePage(
                id=key_to_id[key],
                slug_id=str(info.get("slugId") or ""),
                title=title,
                icon=info.get("icon"),
                position=str(info.get("position") or ""),
                parent_id=key_to_id.get(parent_key) if parent_key else None,
                has_children=False,
            )
        )
    return tree


def _first_h1(archive: SafeArchive, entry: str) -> str | None:
    for line in archive.read_text(entry).splitlines():
        if not line.strip():
            continue
        match = _H1.match(line)
        return unescape_markdown(match.group(1)) if match else None
    return None


_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")


def unescape_markdown(text: str) -> str:
    """Undo Turndown's escaping of a title in the H1 (``\\[v2\\]`` → ``[v2]``, ``&lt;`` → ``<``)."""
    text = _MD_ESCAPE.sub(r"\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
