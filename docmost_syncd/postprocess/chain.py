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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docmost_syncd.docmost.archive import SafeArchive
from docmost_syncd.errors import BuildError, CancelledError
from docmost_syncd.log import get_logger
from docmost_syncd.model import Page, SpaceModel
from docmost_syncd.postprocess.frontmatter import front_matter, strip_title_heading
from docmost_syncd.postprocess.layout import assign_attachment_paths, assign_paths
from docmost_syncd.postprocess.links import LinkIndex, rewrite_links
from docmost_syncd.postprocess.mdx import to_mdx

METADATA_FILE = "_metadata.json"
CATEGORY_FILE = "_category_.json"


@dataclass
class BuildContext:
    """What one space build shares between steps: sources, the link index, what was reported."""

    archive: SafeArchive | None
    server_url: str | None = None
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


def drop_empty_placeholders(model: SpaceModel, context: BuildContext) -> None:
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


def index_links(model: SpaceModel, context: BuildContext) -> None:
    context.links = LinkIndex.build(model, context.server_url)


TreeStep = Callable[[SpaceModel, BuildContext], None]
TREE_STEPS: list[tuple[str, TreeStep]] = [
    ("drop_empty_placeholders", drop_empty_placeholders),
    ("names_and_layout", lambda model, _context: assign_paths(model)),
    ("attachment_paths", lambda model, _context: assign_attachment_paths(model)),
    ("link_index", index_links),
]


# ---- body steps -------------------------------------------------------------------------------


def _links_step(body: str, page: Page, context: BuildContext) -> str:
    assert context.links is not None
    warnings: list[str] = []
    body = rewrite_links(body, page, context.links, warnings)
    context.warnings.extend(f"{page.path}: {warning}" for warning in warnings)
    return body


BodyStep = Callable[[str, Page, BuildContext], str]
BODY_STEPS: list[tuple[str, BodyStep]] = [
    ("strip_title_heading", lambda body, _page, _context: strip_title_heading(body)),
    ("links", _links_step),
    ("mdx", lambda body, _page, _context: to_mdx(body)),
    ("front_matter", lambda body, page, _context: front_matter(page) + body.rstrip() + "\n"),
]


# ---- running and writing ----------------------------------------------------------------------


@dataclass
class BuildResult:
    pages: int
    attachments: int
    bytes_written: int
    digest: str
    warnings: list[str]


def _write_json(path: Path, data: Any) -> int:
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    path.write_text(text, encoding="utf-8")
    return len(text.encode())


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
            step(model, context)
        except BuildError:
            raise
        except Exception as exc:
            raise BuildError(f"postprocess step {name} failed: {type(exc).__name__}: {exc}") from exc
    written = 0
    pages = 0
    attachments_by_path = {attachment.path: attachment for attachment in model.attachments.values()}
    for page in model.walk():
        if context.should_stop is not None and context.should_stop():
            raise CancelledError(f"build of {model.folder} stopped: shutting down")
        body = context.body_of(page)
        for name, body_step in BODY_STEPS:
            try:
                body = body_step(body, page, context)
            except CancelledError:
                raise
            except Exception as exc:
                raise BuildError(
                    f"postprocess step {name} failed on page {page.id} ({page.display_title!r}): "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
        target = staging / page.path
        target.parent.mkdir(parents=True, exist_ok=True)
        data = body.encode("utf-8")
        target.write_bytes(data)
        written += len(data)
        pages += 1
        if page.children:
            category = {"label": page.display_title, "position": page.sidebar_position}
            written += _write_json(target.parent / CATEGORY_FILE, category)
    staging.mkdir(parents=True, exist_ok=True)
    written += _write_json(staging / CATEGORY_FILE, {"label": model.name})
    written += _write_json(staging / METADATA_FILE, _metadata(model))
    used_assets = sorted(context.links.used_assets) if context.links else []
    for asset_path in used_assets:
        attachment = attachments_by_path[asset_path]
        if context.archive is None:
            raise BuildError(f"attachment {attachment.entry} has no archive to come from")
        destination = staging / attachment.path
        destination.parent.mkdir(parents=True, exist_ok=True)
        written += context.archive.copy_to(attachment.entry, destination)
    for warning in context.warnings:
        log.warning("space.link_unresolved", detail=warning)
    verify_output(model, staging)
    return BuildResult(
        pages=pages,
        attachments=len(used_assets),
        bytes_written=written,
        digest=tree_digest(staging),
        warnings=list(context.warnings),
    )


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


def tree_digest(folder: Path) -> str:
    """A content digest of a built tree (paths and bytes), to skip swaps that change nothing."""
    digest = hashlib.sha256()
    entries = []
    for root, _dirs, files in os.walk(folder):
        for file in files:
            full = os.path.join(root, file)
            entries.append((os.path.relpath(full, folder).replace(os.sep, "/"), full))
    for rel, full in sorted(entries):
        if rel.startswith("."):
            continue
        digest.update(rel.encode() + b"\0")
        with open(full, "rb") as handle:
            for block in iter(lambda: handle.read(1024 * 1024), b""):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()
