"""One space through the steps both ``sync`` and ``convert`` take it, read top to bottom:

    records      every page's record: its facts worked out from its content (the source says
                 where contents come from: the server through the page cache, or an export ZIP)
    names        each page's path component (``site.naming``)
    layout       the tree, paths, categories and sidebar order (``site.layout``)
    link index   every space's pages, for links across spaces (``site.index``)
    render       the editor's JSON → markdown/MDX (``render``), only where a page's inputs changed
    front matter ``site.frontmatter``
    write        into the space's spare, or an empty folder (``publish.writer``)
    verify       one file per live page, nothing else (``site.output.verify_output``)
    swap         the exchange with the published copy (``publish.publisher``)

``sync`` runs ``list_space`` and ``complete`` (the server's records), ``convert`` reads its
records from the ZIP; from ``lay_out`` on the steps are the same code. Nothing is built when the
build key and the answers of references into other spaces are what was last published.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from docmost_syncd import __version__
from docmost_syncd.cache import PageCache
from docmost_syncd.docmost.client import DocmostClient
from docmost_syncd.errors import BuildError, CancelledError
from docmost_syncd.log import get_logger
from docmost_syncd.model import (
    ListedPage,
    Page,
    PageRecord,
    Space,
    SpaceModel,
    build_tree,
    drop_empty_placeholders,
)
from docmost_syncd.publish.publisher import MAX_PATHS_REMEMBERED, BuildSummary, Publisher, SpaceOutcome
from docmost_syncd.publish.writer import CATEGORY_FILE, METADATA_FILE, StagingWriter
from docmost_syncd.render import RENDERER_VERSION, Ref, RenderOptions, render_page
from docmost_syncd.site.frontmatter import PageExtras, docmost_page_url, front_matter
from docmost_syncd.site.index import (
    Answers,
    PageResolver,
    SiteIndex,
    SpaceFiles,
    files_used,
    foreign_description,
)
from docmost_syncd.site.layout import assign_paths
from docmost_syncd.site.output import (
    REDIRECTS_FILE,
    category_json,
    category_path,
    page_url,
    redirects_json,
    root_category_json,
    space_metadata_pieces,
    verify_output,
)
from docmost_syncd.site.shares import SharedPage, published_listing
from docmost_syncd.sources.server import page_records

StopCheck = Callable[[], bool]


@dataclass(frozen=True)
class BuildOptions:
    """Everything of the configuration that shapes a space's files."""

    render: RenderOptions = field(default_factory=RenderOptions)
    authors: bool = True  # front matter names who changed a page last
    edit_base: str | None = None  # Docmost's address as readers open it, for the pages' links (None: none)
    edit_links: Literal["editor", "share", "none"] = "editor"  # what a page's link opens

    def edit_url(self, space_slug: str, page: Page) -> str | None:
        share_key = page.share_key if self.edit_links == "share" else ""
        if self.edit_base is None or not page.slug_id or (self.edit_links == "share" and not share_key):
            return None
        return docmost_page_url(self.edit_base, space_slug, page.title, page.slug_id, share_key)


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
    unlisted: frozenset[str] = frozenset()  # shared pages whose share keeps search engines away
    private: frozenset[str] = frozenset()  # ids and slugIds of listed pages that are not shared
    shared: dict[str, SharedPage] | None = None  # sync.publish = "shared": the pages shares open
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)  # page id → its labels

    def identity(self, options: BuildOptions) -> list[str]:
        """What shapes every file of the space alike."""
        identity = [
            __version__,
            str(RENDERER_VERSION),
            options.render.math,
            json.dumps([options.authors, options.edit_base, options.edit_links]),
            self.space.name,
            self.space.slug,
            self.folder,
        ]
        if self.space.description:  # the home page shows it (_metadata.json)
            identity.append(self.space.description)
        if self.unlisted:
            identity.append(json.dumps(sorted(self.unlisted)))
        if self.tags:  # labels change no updatedAt: they shape the build key themselves
            identity.append(json.dumps(sorted(self.tags.items())))
        return identity


def build_key(plan: SpacePlan, options: BuildOptions) -> str:
    """Everything of a space that shapes its files, but the pages it links into in other spaces
    (those are checked one by one: see ``PageResolver.foreign``)."""
    listing = sorted(page.fingerprint() for page in plan.listed)
    return hashlib.sha256(
        json.dumps([plan.identity(options), listing], ensure_ascii=False).encode()
    ).hexdigest()


# ---- 1. listing and page contents ---------------------------------------------------------------


SharedPages = Callable[[list[ListedPage]], dict[str, SharedPage]]
"""The pages of a listing that are shared publicly (page id → how its share opens it), for
``sync.publish = "shared"``."""


def list_space(
    client: DocmostClient, publisher: Publisher, space: Space, folder: str, options: BuildOptions,
    shared: SharedPages | None = None, labels: Mapping[str, list[str]] | None = None,
) -> SpacePlan:  # fmt: skip
    """The live pages of a space (only the shared ones when ``shared`` says which). A space whose
    listing and identity are exactly those of its published build is *quiet*: its pages' records
    are not even read unless another space's build needs it in the index (see ``complete``)."""
    get_logger(space=folder).debug("space.started", space_id=space.id, name=space.name)
    started = time.monotonic()
    listed = client.list_pages(space.id)
    plan = SpacePlan(space, folder, listed, {}, started=started)
    plan.tags = {page.id: tuple(labels[page.id]) for page in listed if labels and labels.get(page.id)}
    if shared is not None:
        opened = plan.shared = shared(listed)
        plan.listed = published_listing(listed, opened)
        plan.unlisted = frozenset(page_id for page_id, opening in opened.items() if not opening.indexed)
        plan.private = frozenset(key for page in listed if page.id not in opened for key in (page.id, page.slug_id) if key)
    plan.build_key = build_key(plan, options)
    plan.quiet = bool(plan.listed) and _published_with_key(publisher, plan)
    plan.fetch_seconds = time.monotonic() - started
    return plan


def complete(client: DocmostClient, cache: PageCache, plan: SpacePlan) -> SpacePlan:
    """Every listed page's record (``sources.server.page_records``), into the plan."""
    started = time.monotonic()
    contents = page_records(client, cache, plan.space.id, plan.folder, plan.listed)
    # A fetched page says where it sits itself: a shared page under an unshared one moves again.
    listed = contents.listed if plan.shared is None else published_listing(contents.listed, plan.shared)
    plan.listed, plan.records, plan.fetched = listed, contents.records, contents.fetched
    plan.fetch_seconds += time.monotonic() - started
    return plan


# ---- 2. layout ----------------------------------------------------------------------------------


def lay_out(plan: SpacePlan, index: SiteIndex, options: BuildOptions) -> SpaceModel:
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
            unlisted=item.id in plan.unlisted,
            share_key=plan.shared[item.id].key if plan.shared and item.id in plan.shared else "",
            author=plan.records[item.id].author,
            tags=plan.tags.get(item.id, ()),
            empty=plan.records[item.id].facts.empty,
            extension=".mdx" if plan.records[item.id].facts.mdx else ".md",
        )
        for item in plan.listed
    ]
    space = plan.space
    model = build_tree(
        SpaceModel(id=space.id, name=space.name, slug=space.slug, folder=plan.folder, description=space.description),
        pages,
    )
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


def _moved_out(
    publisher: Publisher, plan: SpacePlan, index: SiteIndex, history: dict[str, list[str]], foreign: dict[str, str]
) -> dict[str, tuple[list[str], str]]:
    """The pages that left this space and are published in another one now: page id → their
    paths here, and their ``folder/url`` there. Those this build notices leaving, and those
    earlier builds noticed. Where each is now is an answer from another space, noted in
    ``foreign``: when it moves again or is no longer published, this space is built again and
    its redirects follow."""
    state = publisher.state.get(plan.space.id)
    here = {page.id for page in plan.listed}
    left = {**(state.moved_out if state is not None else {}), **{p: paths for p, paths in history.items() if p not in here}}
    moved: dict[str, tuple[list[str], str]] = {}
    for page_id, paths in sorted(left.items()):
        now = index.pages.get(page_id)
        if page_id in here or now is None or now.space_id == plan.space.id:
            continue  # back here, or published nowhere: nothing of it is kept (it may be private)
        ref: Ref = ("page", page_id, "", "")
        foreign[json.dumps(ref, ensure_ascii=False)] = index.lookup(ref).describe()
        moved[page_id] = (paths[-MAX_PATHS_REMEMBERED:], f"{now.folder}/{page_url(now.path)}")
    return moved


class PageSource(Protocol):
    """Where a build reads page contents and attachments: the server (through the page cache)
    for ``sync``, an export ZIP for ``convert``."""

    def content(self, page_id: str) -> Any:
        """A page's content as the editor's JSON."""
        ...

    def place_files(self, writer: StagingWriter, wanted: dict[str, str], warnings: list[str]) -> dict[str, str]:
        """Put the attachments (id → file name) into the build; their published paths by id."""
        ...


def build_space(
    source: PageSource,
    publisher: Publisher,
    plan: SpacePlan,
    index: SiteIndex,
    options: BuildOptions,
    should_stop: StopCheck | None = None,
) -> SpaceOutcome:
    space, folder, model = plan.space, plan.folder, plan.model
    assert model is not None
    log = get_logger(space=folder)
    if not plan.listed:  # no live page: Docusaurus cannot build an empty category
        state = publisher.state.get(space.id)
        if publisher.unpublish(space.id) and state is not None and state.published:
            log.info("space.emptied", reason="the space has no live page; its published copy was removed")
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
            own: list[Any] = [
                page.id, page.slug_id, page.title, page.icon, page.path, page.sidebar_position, page.updated_at,
                page.author,
            ]  # fmt: skip
            own += ["unlisted"] if page.unlisted else []
            own += [list(page.tags)] if page.tags else []
            children = [[c.display_title, c.icon, c.path] for c in page.children]
            refs = [answers.describe(ref) for ref in record.facts.refs]
            key = hashlib.sha256(
                json.dumps([identity, own, children, record.content_sha, refs], ensure_ascii=False).encode()
            ).hexdigest()
            if not writer.reuse(page.path, key):
                resolver = PageResolver(
                    index, model, page, record.facts.anchors, paths, load_content, warnings, foreign
                )
                rendered = render_page(load_content(page.id), resolver, options.render)
                if rendered.mdx and page.extension != ".mdx":
                    raise BuildError(f"page {page.id} needs MDX but was laid out as {page.path}")
                head = "".join(f"{line}\n" for line in rendered.imports)
                extras = PageExtras(rendered.description, options.edit_url(space.slug, page), options.authors)
                text = front_matter(page, extras) + (head + "\n" if head else "") + rendered.body.rstrip() + "\n"
                writer.write(page.path, text.encode("utf-8"), key)
            if page.children:
                writer.write(category_path(page), category_json(page))
            pages += 1
        writer.write(CATEGORY_FILE, root_category_json(model))
        history = publisher.state.paths(space.id)
        moved_out = _moved_out(publisher, plan, index, history, foreign)
        writer.write(REDIRECTS_FILE, redirects_json(folder, model, history, moved_out))
        anchors = {page_id: record.facts.anchors for page_id, record in plan.records.items()}
        writer.write_pieces(METADATA_FILE, lambda: space_metadata_pieces(model, anchors))
        for warning in sorted(set(warnings)):
            log.warning("space.link_unresolved", detail=warning)
        verify_output(model, writer)
        summary = BuildSummary(
            pages, plan.build_key, {**foreign, **answers.foreign}, time.monotonic() - started,
            paths={page.id: page.path for page in model.walk()},
            moved_out={page_id: paths for page_id, (paths, _there) in moved_out.items()},
        )  # fmt: skip
        return publisher.finish(space, folder, writer, summary, should_stop)
