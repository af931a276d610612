"""One space, in the three steps a run takes it through.

1. ``list_space`` and ``complete``: list every live page (``/api/pages/recent``); then fetch the
   content of the pages whose ``updatedAt`` changed (``/api/pages/info``) into the page cache and
   note each page's facts (what it refers to, its headings, whether it needs MDX). An unchanged
   space costs the listing and nothing else.
2. ``lay_out``: the space's tree, names and paths; the run puts every space into one index.
3. ``build_space``: nothing to do when the build key and the answers of references into other
   spaces are what was last published; otherwise, in the space's spare (or an empty folder),
   place the attachments (downloading only those neither published nor cached), then write
   every page — rendering only those whose inputs changed, keeping or hard-linking the rest —
   and hand the build to the publisher.

Every request to the server happens here, before or beside the renderer, never inside it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from docmost_syncd import __version__
from docmost_syncd.cache import PageCache, PageRecord, content_digest
from docmost_syncd.docmost.client import DocmostClient
from docmost_syncd.docmost.models import ListedPage, Space
from docmost_syncd.errors import BuildError, CancelledError, NotFoundError
from docmost_syncd.log import get_logger
from docmost_syncd.model import Page, SpaceModel, build_tree, drop_empty_placeholders
from docmost_syncd.publish.publisher import BuildSummary, Publisher, SpaceOutcome
from docmost_syncd.publish.writer import (
    CATEGORY_FILE,
    METADATA_FILE,
    StagingWriter,
    category_json,
    category_path,
    root_category_json,
    space_metadata_pieces,
    verify_output,
)
from docmost_syncd.render import RENDERER_VERSION, RenderOptions, analyse_page, render_page
from docmost_syncd.site.frontmatter import front_matter
from docmost_syncd.site.index import (
    Answers,
    PageResolver,
    SiteIndex,
    SpaceFiles,
    files_used,
    foreign_description,
)
from docmost_syncd.site.layout import assign_paths, attachment_path

StopCheck = Callable[[], bool]


@dataclass
class SpacePlan:
    """A listed space on its way through a run."""

    space: Space
    folder: str
    listed: list[ListedPage]
    records: dict[str, PageRecord]
    fetched: int = 0  # page contents requested in this run
    fetch_seconds: float = 0.0  # listing the space and fetching what changed
    model: SpaceModel | None = None
    build_key: str = ""
    quiet: bool = False  # listed exactly as its published build was
    started: float = field(default_factory=time.monotonic)

    def identity(self, options: RenderOptions) -> list[str]:
        """What shapes every file of the space alike."""
        return [
            __version__,
            str(RENDERER_VERSION),
            options.math,
            self.space.name,
            self.space.slug,
            self.folder,
        ]


def build_key(plan: SpacePlan, options: RenderOptions) -> str:
    """Everything of a space that shapes its files, but the pages it links into in other spaces
    (those are checked one by one: see ``PageResolver.foreign``)."""
    listing = sorted(page.fingerprint() for page in plan.listed)
    return hashlib.sha256(
        json.dumps([plan.identity(options), listing], ensure_ascii=False).encode()
    ).hexdigest()


# ---- 1. listing and page contents ---------------------------------------------------------------


def list_space(
    client: DocmostClient, publisher: Publisher, space: Space, folder: str, options: RenderOptions
) -> SpacePlan:
    """The live pages of a space. A space whose listing and identity are exactly those of its
    published build is *quiet*: its pages' records are not even read unless another space's
    build needs it in the index (see ``complete``)."""
    get_logger(space=folder).info("space.started", space_id=space.id, name=space.name)
    started = time.monotonic()
    plan = SpacePlan(space, folder, client.list_pages(space.id), {}, started=started)
    plan.build_key = build_key(plan, options)
    plan.quiet = bool(plan.listed) and _published_with_key(publisher, plan)
    plan.fetch_seconds = time.monotonic() - started
    return plan


def complete(client: DocmostClient, cache: PageCache, plan: SpacePlan) -> SpacePlan:
    """Every listed page's record: from the cache when its updatedAt is the cached one, else its
    content fetched (``/api/pages/info``) and its facts worked out."""
    started = time.monotonic()
    log = get_logger(space=plan.folder)
    listed = {page.id: page for page in plan.listed}
    known = cache.records(plan.space.id)
    records: dict[str, PageRecord] = {}
    missing: list[ListedPage] = []
    changed: set[str] = set()
    for page in listed.values():
        record = known.get(page.id)
        if record is not None and record.updated_at == page.updated_at:
            records[page.id] = record
            continue
        changed.add(page.id)
        content = cache.content(page.id, page.updated_at)
        if content is None:
            missing.append(page)
        else:  # cached, but its facts are from an older renderer: no request needed
            records[page.id] = PageRecord(page.updated_at, content_digest(content), analyse_page(content))

    def fetch(page: ListedPage) -> tuple[ListedPage, PageRecord] | None:
        try:
            data = client.page(page.id)
        except NotFoundError:
            return None  # trashed or deleted since it was listed: not published
        fresh = ListedPage.from_api(data) or page
        content = data.get("content")
        digest = cache.store(page.id, fresh.updated_at, content)
        return fresh, PageRecord(fresh.updated_at, digest, analyse_page(content))

    vanished = 0
    fetched = client.each([functools.partial(fetch, page) for page in missing])
    for page, result in zip(missing, fetched, strict=True):
        if result is None:
            del listed[page.id]
            vanished += 1
        else:
            listed[page.id], records[page.id] = result
    if vanished:
        log.info(
            "space.pages_vanished", count=vanished, reason="trashed or deleted while this run read the space"
        )
    stale = set(known) - set(records)
    if changed or stale:
        cache.store_records(plan.space.id, records, changed)
        cache.forget(stale)  # pages no longer in the space
    plan.listed, plan.records, plan.fetched = list(listed.values()), records, len(missing)
    plan.fetch_seconds += time.monotonic() - started
    return plan


# ---- 2. layout ----------------------------------------------------------------------------------


def lay_out(plan: SpacePlan, index: SiteIndex, options: RenderOptions) -> SpaceModel:
    """The space's tree with every page's name and path; the space joins the run's index."""
    pages = [
        Page(
            id=item.id,
            slug_id=item.slug_id,
            title=item.title,
            icon=item.icon,
            position=item.position,
            parent_id=item.parent_id,
            updated_at=item.updated_at,
            empty=plan.records[item.id].facts.empty,
            extension=".mdx" if plan.records[item.id].facts.mdx else ".md",
        )
        for item in plan.listed
    ]
    space = plan.space
    model = build_tree(SpaceModel(id=space.id, name=space.name, slug=space.slug, folder=plan.folder), pages)
    drop_empty_placeholders(model)
    assign_paths(model)
    plan.model = model
    plan.build_key = build_key(plan, options)  # the listing may have changed while pages were fetched
    index.add_space(model, plan.records)
    return model


# ---- 3. building --------------------------------------------------------------------------------


def _published_with_key(publisher: Publisher, plan: SpacePlan) -> bool:
    """The space's complete published copy was built in its folder with the plan's build key."""
    state = publisher.state.get(plan.space.id)
    return (
        state is not None
        and state.published
        and state.folder == plan.folder
        and state.build_key == plan.build_key
        and publisher.swap.is_complete(publisher.swap.live(plan.folder))
    )


def unchanged(publisher: Publisher, plan: SpacePlan, index: SiteIndex) -> bool:
    """Nothing that shapes the space's files changed since it was last published."""
    state = publisher.state.get(plan.space.id)
    return (
        _published_with_key(publisher, plan)
        and state is not None
        and all(foreign_description(index, ref) == answer for ref, answer in state.foreign.items())
    )


class PageSource(Protocol):
    """Where a build reads page contents and attachments: the server (through the page cache)
    for ``sync``, an export ZIP for ``convert``."""

    def content(self, page_id: str) -> Any:
        """A page's content as the editor's JSON."""
        ...

    def place_files(self, writer: StagingWriter, wanted: dict[str, str], warnings: list[str]) -> dict[str, str]:
        """Put the attachments (id → file name) into the build; their published paths by id."""
        ...


@dataclass
class ServerSource:
    """Pages of the server: contents from the page cache (a damaged or missing entry of this
    space is fetched again, never fatal), attachments from the cache or downloaded."""

    client: DocmostClient
    publisher: Publisher
    plan: SpacePlan
    index: SiteIndex

    def content(self, page_id: str) -> Any:
        indexed = self.index.pages.get(page_id)
        cache = self.publisher.cache
        content = cache.content(page_id, indexed.updated_at or "") if indexed else None
        if content is None and page_id in self.plan.records:
            data = self.client.page(page_id)
            content = data.get("content")
            cache.store(page_id, str(data.get("updatedAt") or self.plan.records[page_id].updated_at), content)
        return content

    def place_files(self, writer: StagingWriter, wanted: dict[str, str], warnings: list[str]) -> dict[str, str]:
        return _place_files(self.client, self.publisher, writer, wanted, warnings)


def _place_files(
    client: DocmostClient,
    publisher: Publisher,
    writer: StagingWriter,
    wanted: dict[str, str],
    warnings: list[str],
) -> dict[str, str]:
    """Put the attachments the space shows into the build; their published paths by attachment
    id. One the spare or the published copy holds is kept or linked from there, one in the cache
    is linked from it (ids are immutable: neither is fetched again), the rest are downloaded; a
    file the server no longer has is left out."""
    cache = publisher.cache
    placed: dict[str, str] = {}
    to_fetch: list[tuple[str, str, str, str]] = []  # attachment id, file name, path, key
    for attachment_id, file_name in sorted(wanted.items()):
        path, key = attachment_path(attachment_id, file_name), f"attachment:{attachment_id}"
        cached = None if writer.reuse(path, key) else cache.file(attachment_id)
        if cached is not None:
            writer.link(path, cached[0], key, cached[1])
        if path in writer.manifest:
            placed[attachment_id] = path
        else:
            to_fetch.append((attachment_id, file_name, path, key))

    def fetch(attachment_id: str, file_name: str) -> tuple[Path, str] | None:
        destination = cache.file_destination(attachment_id)
        try:
            client.download_file(attachment_id, file_name, destination)
        except NotFoundError as exc:
            warnings.append(f"attachment {attachment_id}/{file_name} is gone from the server: {exc}")
            return None
        return cache.keep_file(attachment_id, file_name, destination)

    fetched = client.each([functools.partial(fetch, item[0], item[1]) for item in to_fetch])
    for (attachment_id, _file_name, path, key), result in zip(to_fetch, fetched, strict=True):
        if result is not None:
            writer.link(path, result[0], key, result[1])
            placed[attachment_id] = path
    return placed


def build_space(
    source: PageSource,
    publisher: Publisher,
    plan: SpacePlan,
    index: SiteIndex,
    options: RenderOptions,
    should_stop: StopCheck | None = None,
) -> SpaceOutcome:
    space, folder, model = plan.space, plan.folder, plan.model
    assert model is not None
    log = get_logger(space=folder)
    if not plan.listed:
        publisher.unpublish(space.id)  # no live page: Docusaurus cannot build an empty category
        return SpaceOutcome(space.id, folder, space.name, "empty")
    if unchanged(publisher, plan, index):
        return publisher.record_unchanged(space, folder)
    started = time.monotonic()
    publisher.check_disk(folder)
    warnings: list[str] = []
    wanted: dict[str, str] = {}
    for page in model.walk():
        wanted.update(files_used(index, plan.records[page.id].facts.refs))

    load_content = source.content
    unknown = sorted({kind for record in plan.records.values() for kind in record.facts.unknown})
    for kind in unknown:
        log.warning("render.unknown_node", type=kind, detail="written as its text; a newer Docmost?")
    identity = plan.identity(options)
    with publisher.building(folder) as writer:
        paths = SpaceFiles(source.place_files(writer, wanted, warnings))
        answers = Answers(index, model, paths)
        foreign: dict[str, str] = {}  # what rendering noted; the answers note the same for reused pages
        pages = 0
        for page in model.walk():
            if should_stop is not None and should_stop():
                raise CancelledError(f"build of {folder} stopped: shutting down")
            record = plan.records[page.id]
            # A page's file is made of: the space's identity, the page's own listing (its front
            # matter) and children, its content, and the answer to everything it refers to.
            own = [page.id, page.slug_id, page.title, page.icon, page.path, page.sidebar_position]
            children = [[c.display_title, c.icon, c.path] for c in page.children]
            refs = [answers.describe(ref) for ref in record.facts.refs]
            key = hashlib.sha256(
                json.dumps([identity, own, children, record.content_sha, refs], ensure_ascii=False).encode()
            ).hexdigest()
            if not writer.reuse(page.path, key):
                resolver = PageResolver(
                    index, model, page, record.facts.anchors, paths, load_content, warnings, foreign
                )
                rendered = render_page(load_content(page.id), resolver, options)
                if rendered.mdx and page.extension != ".mdx":
                    raise BuildError(f"page {page.id} needs MDX but was laid out as {page.path}")
                head = "".join(f"{line}\n" for line in rendered.imports)
                text = front_matter(page) + (head + "\n" if head else "") + rendered.body.rstrip() + "\n"
                writer.write(page.path, text.encode("utf-8"), key)
            if page.children:
                writer.write(category_path(page), category_json(page))
            pages += 1
        writer.write(CATEGORY_FILE, root_category_json(model))
        anchors = {page_id: record.facts.anchors for page_id, record in plan.records.items()}
        writer.write_pieces(METADATA_FILE, lambda: space_metadata_pieces(model, anchors))
        for warning in sorted(set(warnings)):
            log.warning("space.link_unresolved", detail=warning)
        verify_output(model, writer)
        summary = BuildSummary(
            pages, plan.build_key, {**foreign, **answers.foreign}, time.monotonic() - started
        )
        return publisher.finish(space, folder, writer, summary, should_stop)
