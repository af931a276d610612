"""One sync run over every selected space, read top to bottom in ``_Run.execute``:

    select     list the spaces, check the server's version, select, assign folders; labels, shares
    1. list    every space's pages, in parallel (sync.concurrency); quiet spaces are done here
    2. fetch   every listed page's record: what changed is fetched into the page cache
    3. lay out one index of every space's pages: the listed ones laid out now, the rest as published
    4. build   every space, in parallel: build what changed, verify, publish, record
    5. relink  spaces that link into a space whose build failed, checked against its published copy
    6. prune   spaces this tool published that are gone upstream
    7. tidy    attachments no published space shows leave the cache
    8. report  one summary line

A space's failure is its own: it keeps its published copy, and the run goes on. What stops the
whole run is handled in one place, ``execute``: a server that is gone (see
``DocmostClient.unavailable``) stops it after the step it was in, publishing nothing more; a fault
of the output's own files (the state file, the page cache) fails it. Either says so in one line,
and what is published stays as it was.
"""

from __future__ import annotations

import errno
import fnmatch
import functools
import gc
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

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
from docmost_syncd.cache import PageCache
from docmost_syncd.config import Settings
from docmost_syncd.docmost.client import DocmostClient
from docmost_syncd.errors import (
    CancelledError,
    RemovalRefusedError,
    ServerUnavailableError,
    SyncdError,
    fault_message,
)
from docmost_syncd.log import get_logger
from docmost_syncd.model import Space
from docmost_syncd.publish.lock import OutputLock
from docmost_syncd.publish.publisher import Publisher, SpaceOutcome
from docmost_syncd.render import RenderOptions
from docmost_syncd.site.index import SiteIndex
from docmost_syncd.site.layout import attachment_id_of, space_folders
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


def _prune(publisher: Publisher, listed: set[str], allow_removal: bool) -> list[tuple[str, str]]:
    """Unpublish every space this tool published that is no longer listed (or now excluded);
    unless that is every published space (a permission change, not an editor's act), which
    waits for a confirmation. Returns (space id, folder) of each space removed."""
    own = publisher.state.of_source(publisher.source)  # another command's spaces are not ours to prune
    gone = [sid for sid in own if sid not in listed]
    published = [state for state in own.values() if state.published]
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
            pruned.append((space_id, folder))
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
        client: DocmostClient, database: Path,
    ) -> None:  # fmt: skip
        self.database = database  # the page cache's, named when it fails
        self.publisher = publisher
        self.folders = folders
        self.cancel = cancel
        self.client = client
        self.context = structlog.contextvars.get_contextvars()

    def __call__(self, space: Space, step: Callable[[], Result]) -> Result | SpaceOutcome:
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
            message = fault_message(exc, self.database) or f"{type(exc).__name__}: {exc}"
            if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
                message = self.publisher.disk_full(folder, exc)
            try:
                self.publisher.record_failure(space, folder, message)
            except OSError as recording:  # the disk that failed the build may refuse this too
                message += f"; not recorded in the state file: {fault_message(recording)}"
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
    """What the steps so far built (listings, records, the index, the layout) lives until the
    run ends: move it out of the cyclic collector's way. Its full passes otherwise rescan every
    page's objects each time the heap grows (0.26 s of a 1.7 s sync of one edit in 20,000 pages).
    ``run_sync`` hands it back and collects once the run is over."""
    gc.freeze()


class _ServerGone(Exception):
    """Internal: a step found the server gone (``DocmostClient.unavailable``); the run stops."""


class _Run:
    """One run's steps, each a method, called in order by ``execute``. Each parallel step runs
    a space's part through ``_SpaceRunner``, which turns that space's failure into its outcome;
    ``execute`` is the one place where what stops the whole run is handled."""

    def __init__(
        self, settings: Settings, client: DocmostClient, publisher: Publisher, cache: PageCache,
        only: list[str], cancel: threading.Event | None, allow_removal: bool,
    ) -> None:  # fmt: skip
        self.settings, self.client, self.publisher, self.cache = settings, client, publisher, cache
        self.only, self.cancel, self.allow_removal = only, cancel, allow_removal
        self.outcome = RunOutcome(run_id=uuid.uuid4().hex[:12])
        self.started = time.monotonic()
        output = settings.output
        self.options = BuildOptions(
            RenderOptions(math=output.math), authors=output.authors,
            edit_base=(settings.docmost.public_url or publisher.server_url) if settings.edit_links != "none" else None,
            edit_links=settings.edit_links,
        )  # fmt: skip
        self.selected: list[Space] = []
        self.folders: dict[str, str] = {}
        self.done: dict[str, SpaceOutcome] = {}  # space id → its result, as spaces finish
        self.index = SiteIndex(publisher.server_url)
        self.log = get_logger()

    @property
    def stopping(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def should_stop(self) -> bool:
        return self.stopping or self.client.unavailable is not None

    def execute(self, on_listed: Callable[[list[Space]], None] | None) -> RunOutcome:
        self.log.info("sync.started", output=str(self.publisher.output_dir))
        try:
            self.cache.remove_partials()  # runs never overlap: a partial download is a crash's
            shared, labels = self.select_spaces()
            if on_listed is not None:
                on_listed(self.selected)
            plans = self.list_pages(shared, labels)
            plans = self.fetch(plans)
            self.lay_out(plans)
            self.build(plans)
            self.relink(plans)
            self.outcome.spaces = [self.done[space.id] for space in self.selected]
            self.prune()
            self.tidy_cache()
        except _ServerGone:
            return self.server_gone()
        except SyncdError as exc:  # the server's spaces, labels or shares could not be read
            self.outcome.error = str(exc)
            self.log.error("sync.failed", error=str(exc), kept="every published space")
            return self.outcome
        except (OSError, sqlite3.Error) as exc:  # the output's own files, outside any one space
            return self.faulted(exc)
        self.summary()
        return self.outcome

    # ---- the steps ------------------------------------------------------------------------------

    def select_spaces(self) -> tuple[dict[str, SharedPages], Mapping[str, list[str]] | None]:
        """The spaces this run syncs and their folders; the server's labels, and which pages
        its shares open (``sync.publish = "shared"``)."""
        sync = self.settings.sync
        include = sync.spaces_include + self.only
        spaces = self.client.list_spaces()
        self.client.check_version()
        self.selected = [space for space in spaces if _selected(space, include, sync.spaces_exclude)]
        labels = self.client.page_labels()  # None: a server without labels, so pages get no tags
        shared = _share_policies(self.client, self.selected) if sync.publish == "shared" else {}
        self.folders = space_folders(self.selected, *self.publisher.folder_claims())
        return shared, labels

    def list_pages(
        self, shared: dict[str, SharedPages], labels: Mapping[str, list[str]] | None
    ) -> list[SpacePlan]:
        """1. Every space's listing. Quiet spaces with no reference into another space are done
        here: nothing else of them is read."""

        def listing(space: Space) -> SpacePlan:
            folder = self.folders[space.id]
            return list_space(
                self.client, self.publisher, space, folder, self.options, shared.get(space.id), labels
            )

        plans = self.each_space(listing, self.selected)
        if not self.done and all(self.independent(plan) for plan in plans):
            for plan in plans:
                self.done[plan.space.id] = self.report(plan, self.publisher.record_unchanged(plan.space, plan.folder))
            return []
        return plans

    def fetch(self, plans: list[SpacePlan]) -> list[SpacePlan]:
        """2. Every listed page's record: what changed is fetched into the page cache."""
        return self.each_space(functools.partial(complete, self.client, self.cache), plans)

    def lay_out(self, plans: list[SpacePlan]) -> None:
        """3. One index of every space's pages: the listed ones laid out now, the rest as
        published (the index serves builds only)."""
        if not plans:
            return
        for plan in plans:
            self.index.private |= plan.private
        laid_out = {plan.space.id for plan in plans}
        for state in list(self.publisher.state.spaces.values()):
            if state.space_id not in laid_out:
                self.index_published(state.space_id, state.folder)
        for plan in plans:
            lay_out(plan, self.index, self.options)
        _keep_for_the_run()

    def build(self, plans: list[SpacePlan]) -> None:
        """4. Every space built, verified and published where its files changed."""
        for result in self.each_space(self.build_one, plans):
            self.done[result.space_id] = result

    def relink(self, plans: list[SpacePlan]) -> None:
        """5. A space whose build failed stays as published: the spaces that link into it are
        checked against that copy (most find nothing changed, one that linked to a moved page
        rebuilds)."""
        failed = [plan for plan in plans if self.done[plan.space.id].result == "failed"]
        if not failed or self.stopping:
            return
        for plan in failed:
            self.index_published(plan.space.id, plan.folder)
        again = [plan for plan in plans if self.done[plan.space.id].result == "published"]
        if not again:
            return
        self.log.info("sync.relinking", spaces=[p.folder for p in again], because=[p.folder for p in failed])
        for result in self.each_space(self.build_one, again):
            if result.result != "unchanged":
                self.done[result.space_id] = result

    def prune(self) -> None:
        """6. Spaces this tool published that are gone upstream (or now excluded) are removed,
        with their cached pages."""
        if not self.settings.sync.prune_removed_spaces or self.only or self.stopping:
            return
        for space_id, folder in _prune(self.publisher, {s.id for s in self.selected}, self.allow_removal):
            self.cache.forget_space(space_id)
            self.outcome.pruned.append(folder)

    def tidy_cache(self) -> None:
        """7. After a run that published or removed anything: attachments no published space
        shows leave the cache (their bytes may be of a page that is no longer public)."""
        if not self.outcome.changed and not self.outcome.pruned and not any(
            space.result == "empty" for space in self.outcome.spaces
        ):
            return
        used: set[str] = set()
        for state in self.publisher.state.spaces.values():
            if state.published:
                used.update(filter(None, map(attachment_id_of, self.publisher.published_manifest(state.folder))))
        self.cache.keep_files(used)

    def summary(self) -> None:
        """8. One line for the run: a run that changed nothing says so in it."""
        counts = {
            r: sum(1 for s in self.outcome.spaces if s.result == r)
            for r in ("published", "unchanged", "empty", "failed")
        }
        self.log.info(
            "sync.finished", spaces=len(self.outcome.spaces), **counts, pruned=len(self.outcome.pruned),
            seconds=round(time.monotonic() - self.started, 3),
        )  # fmt: skip

    # ---- what the steps share -------------------------------------------------------------------

    def each_space(self, step: Callable[[Item], Result], items: list[Item]) -> list[Result]:
        """``step`` for every space's item (a space or its plan), ``sync.concurrency`` at a time,
        each through the space runner: a space that fails or is cancelled is done, with its
        outcome. Returns the others' results in order; stops the run when the server is gone."""
        runner = _SpaceRunner(self.publisher, self.folders, self.cancel, self.client, self.cache.database)

        def one(item: Item) -> Any:
            space = item.space if isinstance(item, SpacePlan) else item
            assert isinstance(space, Space)
            return runner(space, functools.partial(step, item))

        with ThreadPoolExecutor(max_workers=self.settings.sync.concurrency, thread_name_prefix="space") as pool:
            results = list(pool.map(one, items))
        going_on: list[Result] = []
        for result in results:
            if isinstance(result, SpaceOutcome) and result.result in ("failed", "cancelled"):
                self.done[result.space_id] = result
            else:
                going_on.append(result)
        _keep_for_the_run()
        if self.client.unavailable is not None:
            raise _ServerGone
        return going_on

    def build_one(self, plan: SpacePlan) -> SpaceOutcome:
        if not self.allow_removal:
            check_removal(self.publisher, plan, self.settings)
        source = ServerSource(self.client, self.publisher, self.cache, plan.records, self.index)
        return self.report(plan, build_space(source, self.publisher, plan, self.index, self.options, self.should_stop))

    def independent(self, plan: SpacePlan) -> bool:
        """Quiet, and with no reference into another space."""
        state = self.publisher.state.get(plan.space.id)
        return plan.quiet and state is not None and not state.foreign

    def index_published(self, space_id: str, folder: str) -> None:
        """A space the index knows from its published copy (none: it is not in the index)."""
        metadata = self.publisher.published_metadata(folder)
        if metadata is not None:
            self.index.add_published(space_id, folder, metadata)
        else:
            self.index.remove_space(space_id)

    def report(self, plan: SpacePlan, result: SpaceOutcome) -> SpaceOutcome:
        """A space's summary line: at info where it changed anything; an unchanged or empty
        space says so at debug (the run's own line counts them, and a space that became empty
        said so when its copy was removed)."""
        result.seconds = time.monotonic() - plan.started
        level = "debug" if result.result in ("unchanged", "empty") else "info"
        getattr(get_logger(), level)(
            f"space.{result.result}", space=plan.folder, pages=result.pages, bytes=result.bytes_written,
            seconds=round(result.seconds, 3), fetch_seconds=round(plan.fetch_seconds, 3),
            build_seconds=round(result.build_seconds, 3), fetched=plan.fetched,
            files_written=result.files_written, files_linked=result.files_linked, files_kept=result.files_kept,
        )  # fmt: skip
        return result

    # ---- what stops the run ---------------------------------------------------------------------

    def server_gone(self) -> RunOutcome:
        """Every space without a result failed with the server's cause, in one line."""
        reason = self.client.unavailable
        assert reason is not None
        for space in self.selected:
            if space.id not in self.done:
                folder = self.folders[space.id]
                self.publisher.record_failure(space, folder, reason)
                self.done[space.id] = SpaceOutcome(space.id, folder, space.name, "failed", error=reason)
        self.outcome.spaces = [self.done[space.id] for space in self.selected]
        self.outcome.error = reason
        self.log.error(
            "sync.failed", error=reason, server=self.client.server_url,
            seconds=round(time.monotonic() - self.started, 3),
            kept="every published space; what was fetched stays in the page cache",
        )  # fmt: skip
        return self.outcome

    def faulted(self, exc: OSError | sqlite3.Error) -> RunOutcome:
        """The output's own files failed outside any one space (the state file, the page cache):
        the run fails in one line; what is published stays as it was."""
        reason = fault_message(exc, self.cache.database if isinstance(exc, sqlite3.Error) else None)
        self.outcome.spaces = [
            self.done.get(space.id)
            or SpaceOutcome(space.id, self.folders.get(space.id, space.slug), space.name, "failed", error=reason)
            for space in self.selected
        ]
        self.outcome.error = reason
        self.log.error("sync.failed", error=reason, kept="every published space")
        return self.outcome


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
    """One run over every selected space; never raises for a single space's failure, nor for a
    fault of the output's files. ``allow_removal`` lets this run remove more than
    ``sync.removal_guard`` allows. The page cache is the run's: opened here and closed at its
    end (which checkpoints its write-ahead log)."""
    client.start_run()
    cache = PageCache(publisher.swap.state_dir)
    run = _Run(settings, client, publisher, cache, list(only or []), cancel, allow_removal)
    structlog.contextvars.bind_contextvars(run_id=run.outcome.run_id)
    try:
        outcome = run.execute(on_listed)
    finally:
        cache.close()
        structlog.contextvars.unbind_contextvars("run_id")
        del run  # the run's pages, index and layout: freed before the collection below
        # Objects the run froze, garbage cycles among them, go back to the collector, which
        # frees them now: unfrozen objects never count towards a full collection, so without
        # this one the cycles of every run would stay (about 0.5 MB a run in the daemon).
        gc.unfreeze()
        gc.collect()
    if on_space_done is not None:
        for result in outcome.spaces:
            on_space_done(result)
    return outcome


def make_publisher(settings: Settings, source: str = "sync") -> Publisher:
    assert settings.output.dir is not None
    return Publisher(
        settings.output.dir,
        settings.limits,
        server_url=settings.docmost.url,
        fsync_files=settings.output.fsync_files,
        source=source,
    )


def run_once(
    settings: Settings, only: list[str] | None = None, allow_removal: bool = False, source: str = "sync"
) -> int:
    """`sync --once` (and the demo, as ``source`` "demo"): lock the output folder, recover, sync
    every selected space once. Returns 0 when everything succeeded, 1 when something failed."""
    assert settings.output.dir is not None
    settings.output.dir.mkdir(parents=True, exist_ok=True)
    with OutputLock(settings.state_dir):
        publisher = make_publisher(settings, source)
        publisher.recover()
        with DocmostClient(settings.docmost) as client:
            outcome = run_sync(settings, client, publisher, only=only, allow_removal=allow_removal)
        publisher.close()  # the retired copies: published already, deleted before we exit
    return 1 if outcome.failed else 0
