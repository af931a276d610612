"""The postprocess chain, read top to bottom.

Two ordered lists of named steps. TREE_STEPS work on the whole space model (which pages exist,
their names and paths); BODY_STEPS work on one page body at a time, while the writer streams
pages into the staging folder, so memory never holds the whole space. A step that raises fails
the space: nothing is published (the original tool swapped half-processed output in).
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docmost_syncd.docmost.archive import SafeArchive
from docmost_syncd.errors import BuildError, CancelledError, SyncdError
from docmost_syncd.log import get_logger
from docmost_syncd.model import Attachment, Page, SpaceModel
from docmost_syncd.postprocess.frontmatter import front_matter, strip_title_heading
from docmost_syncd.postprocess.layout import assign_attachment_paths, assign_paths, attachment_path
from docmost_syncd.postprocess.links import ForeignLookup, LinkIndex, rewrite_links_in_prose
from docmost_syncd.postprocess.markdown import Body
from docmost_syncd.postprocess.mdx import fence_indented_code, prose_to_mdx

METADATA_FILE = "_metadata.json"
CATEGORY_FILE = "_category_.json"


@dataclass
class BuildContext:
    """What one space build shares between steps: sources, the link index, what was reported."""

    archive: SafeArchive | None
    server_url: str | None = None
    foreign: ForeignLookup | None = None  # pages of the other published spaces
    # (attachment id, file name, destination): fetches a file the export ZIP does not hold
    download_attachment: Callable[[str, str, Path], None] | None = None
    links: LinkIndex | None = None
    warnings: list[str] = field(default_factory=list)
    should_stop: Callable[[], bool] | None = None  # checked between pages (daemon shutdown)

    def body_of(self, page: Page) -> str:
        if page.body is not None:
            return page.body
        if page.source is None or self.archive is None:
            raise BuildError(f"page {page.id} has no body source")
        return self.archive.read_text(page.source)


# ---- tree steps -------------------------------------------------------------------------------


def drop_empty_placeholders(model: SpaceModel, context: BuildContext) -> dict[str, int]:
    """An untitled page with no body and no children is an editor placeholder, not content.
    A page titled "Untitled", or any page with text or children, stays."""

    def keep(page: Page) -> bool:
        if page.children or (page.title and page.title.strip()):
            return True
        return bool(strip_title_heading(context.body_of(page)).strip())

    def prune(pages: list[Page]) -> list[Page]:
        kept = []
        for page in pages:
            page.children = prune(page.children)
            if keep(page):
                kept.append(page)
            else:
                model.dropped.append(page.id)
        return kept

    model.roots = prune(model.roots)
    return {"dropped": len(model.dropped)}


def index_links(model: SpaceModel, context: BuildContext) -> dict[str, int]:
    context.links = LinkIndex.build(model, context.server_url, context.foreign)
    return {"pages": len(context.links.by_slug_id)}


# Each tree step returns counts of what it did, logged as one chain.step line.
TreeStep = Callable[[SpaceModel, BuildContext], dict[str, int]]
TREE_STEPS: list[tuple[str, TreeStep]] = [
    ("drop_empty_placeholders", drop_empty_placeholders),
    ("names_and_layout", lambda model, _context: assign_paths(model)),
    ("attachment_paths", lambda model, _context: assign_attachment_paths(model)),
    ("link_index", index_links),
]


# ---- body steps -------------------------------------------------------------------------------


def _links_step(body: Body, page: Page, context: BuildContext) -> None:
    links = context.links
    assert links is not None
    warnings: list[str] = []
    body.map_prose(lambda chunk: rewrite_links_in_prose(chunk, page, links, warnings))
    context.warnings.extend(f"{page.path}: {warning}" for warning in warnings)


# Each step changes one page body in place: text steps replace the whole text, prose steps see
# only prose segments (the split into code and prose is done once and shared).
BodyStep = Callable[[Body, Page, BuildContext], None]
BODY_STEPS: list[tuple[str, BodyStep]] = [
    ("strip_title_heading", lambda body, _page, _context: body.replace(strip_title_heading)),
    ("fence_indented_code", lambda body, _page, _context: body.replace(fence_indented_code)),
    ("links", _links_step),
    ("mdx", lambda body, _page, _context: body.map_prose(prose_to_mdx)),
    (
        "front_matter",
        lambda body, page, _context: body.replace(lambda text: front_matter(page) + text.rstrip() + "\n"),
    ),
]


# ---- running and writing ----------------------------------------------------------------------


@dataclass
class BuildResult:
    pages: int
    attachments: int
    bytes_written: int
    digest: str
    warnings: list[str]
    linked_spaces: list[str]


class StagingWriter:
    """Writes the built files and keeps what the digest needs (path and sha256 of each file),
    so the tree is never read back; creates each folder once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.bytes_written = 0
        self._hashes: list[tuple[str, str]] = []
        self._folders: set[Path] = set()

    def _path(self, relative: str) -> Path:
        path = self.root / relative
        if path.parent not in self._folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(path.parent)
        return path

    def write(self, relative: str, data: bytes) -> None:
        self._path(relative).write_bytes(data)
        self.bytes_written += len(data)
        self._hashes.append((relative, hashlib.sha256(data).hexdigest()))

    def write_json(self, relative: str, data: Any) -> None:
        """Streamed through the hash: _metadata.json of a large space is never one big string."""
        hasher = hashlib.sha256()
        with self._path(relative).open("w", encoding="utf-8") as handle:
            for piece in json.JSONEncoder(ensure_ascii=False, indent=2).iterencode(data):
                handle.write(piece)
                hasher.update(piece.encode())
            handle.write("\n")
            hasher.update(b"\n")
            self.bytes_written += handle.tell()
        self._hashes.append((relative, hasher.hexdigest()))

    def download(self, relative: str, fetch: Callable[[Path], None]) -> None:
        """A file fetched from elsewhere (the server), hashed as it is read back once."""
        path = self._path(relative)
        fetch(path)
        hasher = hashlib.sha256()
        with path.open("rb") as handle:
            while block := handle.read(1024 * 1024):
                hasher.update(block)
                self.bytes_written += len(block)
        self._hashes.append((relative, hasher.hexdigest()))

    def copy_from(self, archive: SafeArchive, entry: str, relative: str) -> None:
        hasher = hashlib.sha256()
        self.bytes_written += archive.copy_to(entry, self._path(relative), hasher)
        self._hashes.append((relative, hasher.hexdigest()))

    def digest(self) -> str:
        """A content digest of the built tree, to skip swaps that would change nothing."""
        total = hashlib.sha256()
        for relative, file_hash in sorted(self._hashes):
            total.update(f"{relative}\0{file_hash}\0".encode())
        return total.hexdigest()


def _metadata(model: SpaceModel) -> dict[str, Any]:
    def node(page: Page) -> dict[str, Any]:
        return {
            "id": page.id,
            "slugId": page.slug_id,
            "title": page.title,
            "icon": page.icon,
            "position": page.position,
            "path": page.path,
            "children": [node(child) for child in page.children],
        }

    return {
        "space": {"id": model.id, "name": model.name, "slug": model.slug},
        "generator": "docmost-syncd",
        "pages": [node(page) for page in model.roots],
    }


def run_chain(model: SpaceModel, context: BuildContext, staging: Path) -> BuildResult:
    """Run every tree step, then stream every page through the body steps into ``staging``."""
    log = get_logger(space=model.folder)
    for name, step in TREE_STEPS:
        try:
            log.debug("chain.step", step=name, **step(model, context))
        except BuildError:
            raise
        except Exception as exc:
            raise BuildError(f"postprocess step {name} failed: {type(exc).__name__}: {exc}") from exc
    out = StagingWriter(staging)
    staging.mkdir(parents=True, exist_ok=True)
    pages = 0
    downloaded = _attachment_downloader(model, context, out)
    for page in model.walk():
        if context.should_stop is not None and context.should_stop():
            raise CancelledError(f"build of {model.folder} stopped: shutting down")
        body = Body(context.body_of(page))
        for name, body_step in BODY_STEPS:
            try:
                body_step(body, page, context)
            except CancelledError:
                raise
            except Exception as exc:
                raise BuildError(
                    f"postprocess step {name} failed on page {page.id} ({page.display_title!r}): "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
        out.write(page.path, body.text.encode("utf-8"))
        pages += 1
        if page.children:
            category = {"label": page.display_title, "position": page.sidebar_position}
            out.write_json(posixpath.join(posixpath.dirname(page.path), CATEGORY_FILE), category)
    out.write_json(CATEGORY_FILE, {"label": model.name})
    out.write_json(METADATA_FILE, _metadata(model))
    used_assets = sorted(context.links.used_assets) if context.links else []
    attachments_by_path = {attachment.path: attachment for attachment in model.attachments.values()}
    for asset_path in used_assets:
        if asset_path in downloaded:
            continue
        attachment = attachments_by_path[asset_path]
        if context.archive is None:
            raise BuildError(f"attachment {attachment.entry} has no archive to come from")
        out.copy_from(context.archive, attachment.entry, attachment.path)
    for warning in context.warnings:
        log.warning("space.link_unresolved", detail=warning)
    verify_output(model, staging)
    return BuildResult(
        pages=pages,
        attachments=len(used_assets),
        bytes_written=out.bytes_written,
        digest=out.digest(),
        warnings=list(context.warnings),
        linked_spaces=sorted(context.links.linked_spaces) if context.links else [],
    )


def _attachment_downloader(model: SpaceModel, context: BuildContext, out: StagingWriter) -> set[str]:
    """Let the link step fetch attachments the ZIP lacks (an export without attachments, or a
    page the ZIP lost) from the server; returns the set that fills with the paths fetched."""
    downloaded: set[str] = set()
    download = context.download_attachment
    if download is None or context.links is None:
        return downloaded
    failed: set[str] = set()

    def fetch(attachment_id: str, file_name: str) -> Attachment | None:
        if attachment_id in failed:
            return None
        relative = attachment_path(attachment_id, file_name)
        try:
            out.download(relative, lambda destination: download(attachment_id, file_name, destination))
        except SyncdError as exc:
            failed.add(attachment_id)
            context.warnings.append(f"attachment {attachment_id}/{file_name} could not be fetched: {exc}")
            return None
        attachment = Attachment(attachment_id, file_name, entry="", path=relative)
        model.attachments[attachment_id] = attachment
        downloaded.add(relative)
        return attachment

    context.links.fetch_attachment = fetch
    return downloaded


def verify_output(model: SpaceModel, staging: Path) -> None:
    """Before anything is published: one file per live page, nothing else that looks like a page."""
    expected = {page.path for page in model.walk()}
    on_disk = set()
    for root, _dirs, files in os.walk(staging):
        for file in files:
            if file.endswith(".md"):
                rel = os.path.relpath(os.path.join(root, file), staging).replace(os.sep, "/")
                if not rel.startswith("_assets/"):
                    on_disk.add(rel)
    if on_disk != expected:
        missing = sorted(expected - on_disk)[:5]
        extra = sorted(on_disk - expected)[:5]
        raise BuildError(f"built tree does not match the page tree: missing {missing}, unexpected {extra}")
