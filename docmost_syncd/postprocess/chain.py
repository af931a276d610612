"""The markdown chain of ``convert``, read top to bottom.

Two ordered lists of named steps. TREE_STEPS work on the whole space model (which pages exist,
their names and paths); BODY_STEPS work on one page body at a time, while the writer streams
pages into the staging folder, so memory never holds the whole space. A step that raises fails
the space: nothing is published (the original tool swapped half-processed output in).

``sync`` does not come through here: it renders Docmost's page JSON (see render/), which carries
what this chain has to repair or cannot know.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from docmost_syncd.archive.reader import SafeArchive
from docmost_syncd.errors import BuildError, CancelledError
from docmost_syncd.log import get_logger
from docmost_syncd.model import Page, SpaceModel, drop_empty_placeholders
from docmost_syncd.postprocess.frontmatter import front_matter, strip_title_heading
from docmost_syncd.postprocess.layout import assign_attachment_paths, assign_paths
from docmost_syncd.postprocess.links import LinkIndex, rewrite_links_in_prose
from docmost_syncd.postprocess.markdown import Body
from docmost_syncd.postprocess.mdx import fence_indented_code, prose_to_mdx
from docmost_syncd.publish.writer import (
    CATEGORY_FILE,
    METADATA_FILE,
    StagingWriter,
    category_json,
    category_path,
    root_category_json,
    space_metadata,
    verify_output,
)


@dataclass
class BuildContext:
    """What one space build shares between steps: the ZIP, the link index, what was reported."""

    archive: SafeArchive
    server_url: str | None = None
    links: LinkIndex | None = None
    warnings: list[str] = field(default_factory=list)
    should_stop: Callable[[], bool] | None = None  # checked between pages (daemon shutdown)

    def body_of(self, page: Page) -> str:
        if page.source is None:
            raise BuildError(f"page {page.id} has no body in the export")
        return self.archive.read_text(page.source)


# ---- tree steps -------------------------------------------------------------------------------


def index_links(model: SpaceModel, context: BuildContext) -> dict[str, int]:
    context.links = LinkIndex.build(model, context.server_url)
    return {"pages": len(context.links.by_slug_id)}


# Each tree step returns counts of what it did, logged as one chain.step line.
TreeStep = Callable[[SpaceModel, BuildContext], dict[str, int]]
TREE_STEPS: list[tuple[str, TreeStep]] = [
    ("drop_empty_placeholders", lambda model, _context: drop_empty_placeholders(model)),
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


def run_chain(model: SpaceModel, context: BuildContext, out: StagingWriter) -> list[str]:
    """Run every tree step, then stream every page through the body steps into ``out``.
    Returns the warnings (links made plain text)."""
    log = get_logger(space=model.folder)
    for name, step in TREE_STEPS:
        try:
            log.debug("chain.step", step=name, **step(model, context))
        except BuildError:
            raise
        except Exception as exc:
            raise BuildError(f"postprocess step {name} failed: {type(exc).__name__}: {exc}") from exc
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
        if page.children:
            out.write(category_path(page), category_json(page))
    out.write(CATEGORY_FILE, root_category_json(model))
    out.write(METADATA_FILE, space_metadata(model))
    used_assets = sorted(context.links.used_assets) if context.links else []
    attachments_by_path = {attachment.path: attachment for attachment in model.attachments.values()}
    for asset_path in used_assets:
        entry = attachments_by_path[asset_path].entry
        out.stream(asset_path, partial(context.archive.copy_to, entry))
    for warning in context.warnings:
        log.warning("space.link_unresolved", detail=warning)
    verify_output(model, out)
    return list(context.warnings)
