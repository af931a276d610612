"""One sync run over every selected space, read top to bottom.

    list spaces → check the server's version → select → assign folders
    1. every space, in parallel (sync.concurrency): list its pages, fetch what changed
    2. one index of every space's pages: the listed ones as laid out now, the rest as published
    3. every space, in parallel: build what changed, publish, record
    spaces that link into a space whose build failed are checked again against its published copy
    prune spaces gone upstream → one summary line

A space's failure is its own: it keeps its published copy, and the run goes on. A server that
is gone (see ``DocmostClient.unavailable``) is everyone's: the run stops after the step it was
in, publishes nothing more, and says so in one line; what was fetched stays in the page cache.
"""

from __future__ import annotations

import errno
import fnmatch
import functools
import gc
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

import structlog

from docmost_syncd.build import (
    BuildOptions,
    SharedPages,
    SpacePlan,
    build_space,
    complete,
    lay_out,
    list_space,
)
from docmost_syncd.config import Settings
from docmost_syncd.docmost.client import DocmostClient
from docmost_syncd.errors import CancelledError, RemovalRefusedError, ServerUnavailableError, SyncdError
from docmost_syncd.log import get_logger
from docmost_syncd.model import Space
from docmost_syncd.publish.lock import OutputLock
from docmost_syncd.publish.publisher import Publisher, SpaceOutcome
from docmost_syncd.render import RenderOptions
from docmost_syncd.site.index import SiteIndex
from docmost_syncd.site.layout import space_folders
from docmost_syncd.site.output import metadata_pages
from docmost_syncd.site.shares import shared_pages
from docmost_syncd.sources.server import ServerSource

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass
class RunOutcome:
    run_id: str
    spaces: list[SpaceOutcome] = field(default_factory=list)
    error: str | None = None  # the run itself failed (login, space list, server version)
    pruned: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.error is not None or any(space.result == "failed" for space in self.spaces)

    @property
    def changed(self) -> list[SpaceOutcome]:
        return [space for space in self.spaces if space.result == "published"]


def _selected(space: Space, include: list[str], exclude: list[str]) -> bool:
    names = (space.name, space.slug, space.id)

    def matches(patterns: list[str]) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns for name in names)

    return (not include or matches(include)) and not matches(exclude)


CONFIRM = "confirm with `docmost-syncd sync --once --allow-removal` (stop the daemon first), or raise sync.removal_guard"


def _prune(publisher: Publisher, listed: set[str], allow_removal: bool) -> list[str]:
    """Unpublish every space this tool published that is no longer listed (or now excluded);
    unless that is every published space (a permission change, not an editor's act), which
    waits for a confirmation."""
    gone = [sid for sid in publisher.state.spaces if sid not in listed]
    published = [state for state in publisher.state.spaces.values() if state.published]
    if published and not allow_removal and all(state.space_id in gone for state in published):
        for state in published:
            get_logger().error(
                "space.prune_refused", space=state.folder, pages=state.pages,
                reason=f"this run would remove every published space ({len(published)}); {CONFIRM}",
                kept="the published copy",
            )  # fmt: skip
        return []
    pruned = []
    for space_id in gone:
        folder = publisher.unpublish(space_id)
        if folder:
            pruned.append(folder)
            get_logger().info("space.pruned", space=folder, reason="removed upstream or excluded by config")
    return pruned


def kept(publisher: Publisher, folder: str) -> str:
    """What a failed space leaves for readers, in words for its log line."""
    state = publisher.state.by_folder(folder)
    published = state is not None and state.published and publisher.swap.live(folder).is_dir()
    return "the published copy" if published else "nothing: the space has no published copy yet"


class _SpaceRunner:
    """Runs one step of a space with its log context, turning failures into outcomes."""

    def __init__(
        self, publisher: Publisher, folders: dict[str, str], cancel: threading.Event | None,
        client: DocmostClient,
    ) -> None:  # fmt: skip
        self.publisher = publisher
        self.folders = folders
        self.cancel = cancel
        self.client = client
        self.context = structlog.contextvars.get_contextvars()

    def __call__(
        self, space: Space, step: Callable[[], SpaceOutcome | SpacePlan]
    ) -> SpaceOutcome | SpacePlan:
        folder = self.folders[space.id]
        structlog.contextvars.bind_contextvars(**self.context, space=folder)
        log = get_logger()
        try:
            if self.cancel is not None and self.cancel.is_set():
                raise CancelledError("not started: shutting down")
            return step()
        except (ServerUnavailableError, CancelledError) as exc:
            gone = self.client.unavailable
            if gone is None:  # shutting down
                log.warning("space.cancelled", reason=str(exc), kept=kept(self.publisher, folder))
                return SpaceOutcome(space.id, folder, space.name, "cancelled", error=str(exc))
            # The server is gone: the run says so once, in its own line.
            self.publisher.record_failure(space, folder, gone)
            return SpaceOutcome(space.id, folder, space.name, "failed", error=gone)
        except Exception as exc:
            message = str(exc) if isinstance(exc, SyncdError) else f"{type(exc).__name__}: {exc}"
            if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
                message = self.publisher.disk_full(folder, exc)
            self.publisher.record_failure(space, folder, message)
            log.error("space.failed", error=message, kept=kept(self.publisher, folder))
            return SpaceOutcome(space.id, folder, space.name, "failed", error=message)
        finally:
            structlog.contextvars.clear_contextvars()


def check_removal(publisher: Publisher, plan: SpacePlan, settings: Settings) -> None:
    """Refuse a build that would remove more of a space's published pages than the guard allows:
    a permission change or a bulk move to the trash must not empty a site in one run."""
    state = publisher.state.get(plan.space.id)
    guard = settings.sync
    if state is None or not state.published or state.pages <= guard.removal_guard_pages:
        return
    published = set(publisher.state.paths(plan.space.id))  # the pages of the published copy
    if not published:  # published before docmost-syncd remembered paths: read the copy's tree
        published = {str(entry.get("id")) for entry in metadata_pages(publisher.published_metadata(plan.folder) or {})}
    staying = {page.id for page in plan.model.walk()} if plan.model is not None else set()
    lost = len(published - staying)
    if lost > guard.removal_guard_pages and lost > guard.removal_guard * len(published):
        raise RemovalRefusedError(
            f"this run would remove {lost} of the {len(published)} published pages of {plan.folder} "
            f"(more than sync.removal_guard = {guard.removal_guard:g} of them); {CONFIRM}"
        )


def _share_policies(client: DocmostClient, spaces: list[Space]) -> dict[str, SharedPages]:
    """For ``sync.publish = "shared"``: per space, which of its listed pages Docmost shares. A few
    requests a run: the share list, and the tree of each share that includes its subpages."""
    workspace_off = client.workspace_sharing_disabled()
    shares = client.shares()
    subpages = {
        str(share["id"]): {str(node.get("id")) for node in client.share_pages(str(share["id"]))}
        for share in shares
        if share.get("includeSubPages") and share.get("id")
    }
    policies: dict[str, SharedPages] = {}
    for space in spaces:
        if workspace_off or space.sharing_disabled:
            where = "the workspace" if workspace_off else "this space"
            get_logger(space=space.slug).info(
                "space.sharing_off", reason=f"public sharing is switched off for {where}: nothing is published"
            )
            policies[space.id] = lambda _listed: {}
            continue
        own = [share for share in shares if share.get("spaceId") == space.id]
        policies[space.id] = functools.partial(shared_pages, shares=own, subpages=subpages)
    return policies


def _keep_for_the_run() -> None:
    """What the stages so far built (listings, records, the index, the layout) lives until the
    run ends: move it out of the cyclic collector's way. Its full passes otherwise rescan every
    page's objects each time the heap grows (0.26 s of a 1.7 s sync of one edit in 20,000 pages).
    Refcounting still frees it; ``gc.unfreeze`` at the end of the run hands it back."""
    gc.freeze()


def run_sync(
    settings: Settings,
    client: DocmostClient,
    publisher: Publisher,
    *,
    only: list[str] | None = None,
    on_space_done: Callable[[SpaceOutcome], None] | None = None,
    on_listed: Callable[[list[Space]], None] | None = None,
    cancel: threading.Event | None = None,
    allow_removal: bool = False,
) -> RunOutcome:
    """One run over every selected space; never raises for a single space's failure.
    ``allow_removal`` lets this run remove more than ``sync.removal_guard`` allows."""
    run_id = uuid.uuid4().hex[:12]
    structlog.contextvars.bind_contextvars(run_id=run_id)
    log = get_logger()
    started = time.monotonic()
    outcome = RunOutcome(run_id=run_id)
    output = settings.output
    options = BuildOptions(
        RenderOptions(math=output.math), authors=output.authors,
        edit_base=publisher.server_url if output.edit_links else None,
    )  # fmt: skip
    client.start_run()
    try:
        log.info("sync.started", output=str(publisher.output_dir))
        include = settings.sync.spaces_include + list(only or [])
        shared: dict[str, SharedPages] = {}
        try:
            spaces = client.list_spaces()
            client.check_version()
            selected = [s for s in spaces if _selected(s, include, settings.sync.spaces_exclude)]
            labels = client.page_labels()  # None: a server without labels, so pages get no tags
            if settings.sync.publish == "shared":
                shared = _share_policies(client, selected)
        except SyncdError as exc:
            outcome.error = str(exc)
            log.error("sync.failed", error=str(exc), kept="every published space")
            return outcome
        folders = space_folders(selected, *publisher.folder_claims())
        if on_listed is not None:
            on_listed(selected)
        runner = _SpaceRunner(publisher, folders, cancel, client)
        index = SiteIndex(publisher.server_url)

        def should_stop() -> bool:
            return (cancel is not None and cancel.is_set()) or client.unavailable is not None

        def server_gone(done: dict[str, SpaceOutcome]) -> RunOutcome:
            """The run stops: every space without a result failed with the server's cause."""
            reason = client.unavailable
            assert reason is not None
            for space in selected:
                if space.id not in done:
                    publisher.record_failure(space, folders[space.id], reason)
                    done[space.id] = SpaceOutcome(space.id, folders[space.id], space.name, "failed", error=reason)
            outcome.spaces = [done[space.id] for space in selected]
            outcome.error = reason
            if on_space_done is not None:
                for result in outcome.spaces:
                    on_space_done(result)
            log.error(
                "sync.failed", error=reason, server=client.server_url, seconds=round(time.monotonic() - started, 3),
                kept="every published space; what was fetched stays in the page cache",
            )  # fmt: skip
            return outcome

        def each_space(step: Callable[[Item], Result], items: list[Item]) -> list[Result]:
            """``sync.concurrency`` spaces at a time; results in order."""
            with ThreadPoolExecutor(
                max_workers=settings.sync.concurrency, thread_name_prefix="space"
            ) as pool:
                return list(pool.map(step, items))

        def report(plan: SpacePlan, result: SpaceOutcome) -> SpaceOutcome:
            """The summary line of a space that got as far as a result."""
            result.seconds = time.monotonic() - plan.started
            get_logger().info(
                f"space.{result.result}", space=plan.folder, pages=result.pages, bytes=result.bytes_written,
                seconds=round(result.seconds, 3), fetch_seconds=round(plan.fetch_seconds, 3),
                build_seconds=round(result.build_seconds, 3), fetched=plan.fetched,
                files_written=result.files_written, files_linked=result.files_linked, files_kept=result.files_kept,
            )  # fmt: skip
            return result

        def index_published(space_id: str, folder: str) -> None:
            """A space the index knows from its published copy (none: it is not in the index)."""
            metadata = publisher.published_metadata(folder)
            if metadata is not None:
                index.add_published(space_id, folder, metadata)
            else:
                index.remove_space(space_id)

        # 1. listings
        def listing(space: Space) -> SpaceOutcome | SpacePlan:
            return runner(
                space,
                lambda: list_space(client, publisher, space, folders[space.id], options, shared.get(space.id), labels),
            )

        listed = each_space(listing, selected)
        _keep_for_the_run()
        plans = [item for item in listed if isinstance(item, SpacePlan)]
        done = {item.space_id: item for item in listed if isinstance(item, SpaceOutcome)}
        if client.unavailable is not None:
            return server_gone(done)

        # Quiet spaces with no reference into another space are done; the index is needed only
        # when a space changed or one depends on another.
        def independent(plan: SpacePlan) -> bool:
            state = publisher.state.get(plan.space.id)
            return plan.quiet and state is not None and not state.foreign

        if not done and all(independent(plan) for plan in plans):
            for plan in plans:
                done[plan.space.id] = report(plan, publisher.record_unchanged(plan.space, plan.folder))
            plans = []

        # 2. page contents, and one index of every space's pages
        def contents(plan: SpacePlan) -> SpaceOutcome | SpacePlan:
            return runner(plan.space, lambda: complete(client, publisher.cache, plan))

        completed = each_space(contents, plans)
        _keep_for_the_run()
        plans = [item for item in completed if isinstance(item, SpacePlan)]
        done.update((item.space_id, item) for item in completed if isinstance(item, SpaceOutcome))
        if client.unavailable is not None:
            return server_gone(done)
        if plans:  # the index serves builds only
            for plan in plans:
                index.private |= plan.private
            laid_out = {plan.space.id for plan in plans}
            for state in list(publisher.state.spaces.values()):
                if state.space_id not in laid_out:
                    index_published(state.space_id, state.folder)
            for plan in plans:
                lay_out(plan, index, options)
            _keep_for_the_run()

        # 3. builds
        def build(plan: SpacePlan) -> SpaceOutcome:
            def step() -> SpaceOutcome:
                if not allow_removal:
                    check_removal(publisher, plan, settings)
                source = ServerSource(client, publisher, plan.records, index)
                return report(plan, build_space(source, publisher, plan, index, options, should_stop))

            built = runner(plan.space, step)
            assert isinstance(built, SpaceOutcome)
            return built

        done.update((result.space_id, result) for result in each_space(build, plans))
        if client.unavailable is not None:
            return server_gone(done)

        # A space whose build failed stays as published: spaces that link into it are checked
        # against that copy (most find nothing changed, one that linked to a moved page rebuilds).
        failed = [p for p in plans if done[p.space.id].result == "failed"]
        stopping = cancel is not None and cancel.is_set()
        if failed and not stopping:
            for plan in failed:
                index_published(plan.space.id, plan.folder)
            again = [p for p in plans if done[p.space.id].result == "published"]
            if again:
                log.info(
                    "sync.relinking", spaces=[p.folder for p in again], because=[p.folder for p in failed]
                )
                for result in each_space(build, again):
                    if result.result != "unchanged":
                        done[result.space_id] = result
        outcome.spaces = [done[space.id] for space in selected]
        if on_space_done is not None:
            for result in outcome.spaces:
                on_space_done(result)
        if settings.sync.prune_removed_spaces and not only and not stopping:
            outcome.pruned = _prune(publisher, {space.id for space in selected}, allow_removal)
        counts = {
            r: sum(1 for s in outcome.spaces if s.result == r)
            for r in ("published", "unchanged", "empty", "failed")
        }
        log.info(
            "sync.finished",
            spaces=len(outcome.spaces),
            **counts,
            pruned=len(outcome.pruned),
            seconds=round(time.monotonic() - started, 3),
        )
        return outcome
    finally:
        gc.unfreeze()
        structlog.contextvars.unbind_contextvars("run_id")


def make_publisher(settings: Settings) -> Publisher:
    assert settings.output.dir is not None
    return Publisher(
        settings.output.dir,
        settings.limits,
        server_url=settings.docmost.url,
        fsync_files=settings.output.fsync_files,
    )


def run_once(settings: Settings, only: list[str] | None = None, allow_removal: bool = False) -> int:
    """`sync --once`: lock the output folder, recover, sync every selected space once.
    Returns 0 when everything succeeded, 1 when something failed."""
    assert settings.output.dir is not None
    settings.output.dir.mkdir(parents=True, exist_ok=True)
    with OutputLock(settings.state_dir):
        publisher = make_publisher(settings)
        publisher.recover()
        with DocmostClient(settings.docmost) as client:
            outcome = run_sync(settings, client, publisher, only=only, allow_removal=allow_removal)
        publisher.close()  # the retired copies: published already, deleted before we exit
    return 1 if outcome.failed else 0
