"""One sync run: list spaces, run one job per space on a bounded pool, prune, summarise.

A space job: fetch the live tree → skip when nothing changed → stream the export to staging →
read it safely → build the model (fetching pages the ZIP lost) → chain → verify → swap → record.
Any failure before the swap removes the staging folder and leaves the published copy untouched.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from docmost_syncd.config import LimitsSettings, Settings
from docmost_syncd.docmost.archive import SafeArchive
from docmost_syncd.docmost.client import DocmostClient
from docmost_syncd.docmost.models import Space, TreePage
from docmost_syncd.errors import CancelledError, PublishError, SyncdError
from docmost_syncd.log import get_logger
from docmost_syncd.model import PageFetcher, build_from_tree, display_title
from docmost_syncd.postprocess.chain import METADATA_FILE, BuildContext, run_chain
from docmost_syncd.postprocess.links import ForeignLookup, ForeignPage
from docmost_syncd.postprocess.naming import safe_name, unique_names
from docmost_syncd.publish.state import SpaceState, StateStore
from docmost_syncd.publish.swap import STATE_DIR_NAME, SwapManager

DOWNLOADS_DIR = "downloads"


@dataclass
class SpaceOutcome:
    space_id: str
    folder: str
    name: str
    result: str  # published | unchanged | empty | failed
    pages: int = 0
    bytes_written: int = 0
    seconds: float = 0.0
    error: str | None = None
    build_seconds: float = 0.0  # model + postprocess chain + writing into staging
    started_at: float = 0.0  # wall clock, for ordering against other spaces' publications
    finished_at: float = 0.0


@dataclass
class RunOutcome:
    run_id: str
    spaces: list[SpaceOutcome] = field(default_factory=list)
    error: str | None = None  # the run itself failed (login, space list)
    pruned: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.error is not None or any(space.result == "failed" for space in self.spaces)

    @property
    def changed(self) -> list[SpaceOutcome]:
        return [space for space in self.spaces if space.result == "published"]


def tree_fingerprint(tree: list[TreePage]) -> str:
    """ids, titles, parents and positions of the live tree, for the no-change check."""
    rows = [[p.id, p.slug_id, p.title, p.icon, p.parent_id, p.position] for p in tree]
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()


class Publisher:
    """Builds spaces into staging and swaps them in; shared by ``sync`` and ``convert``."""

    def __init__(
        self,
        output_dir: Path,
        limits: LimitsSettings,
        *,
        server_url: str | None = None,
        fsync_files: bool = False,
    ) -> None:
        output_dir.mkdir(parents=True, exist_ok=True)
        self.output_dir = output_dir
        self.limits = limits
        self.server_url = server_url
        self.swap = SwapManager(output_dir, fsync_files=fsync_files)
        self.state = StateStore.load(self.swap.state_dir)
        self._foreign_lock = threading.Lock()
        self._foreign: dict[str, ForeignPage] | None = None  # slugId → page, over published spaces

    def recover(self) -> list[str]:
        """Start-up recovery: finish or undo interrupted swaps, drop half-downloaded exports."""
        actions = self.swap.recover()
        downloads = self.swap.state_dir / DOWNLOADS_DIR
        if downloads.is_dir():
            for leftover in downloads.iterdir():
                leftover.unlink(missing_ok=True)
                actions.append(f"deleted partial download {leftover}")
        return actions

    def foreign_lookup(self, space_id: str) -> ForeignLookup:
        """Finds pages of the other published spaces (from their _metadata.json), for cross-space links."""

        def lookup(slug_id: str) -> ForeignPage | None:
            with self._foreign_lock:
                if self._foreign is None:
                    self._foreign = self._load_foreign()
                found = self._foreign.get(slug_id)
            return found if found is not None and found.space_id != space_id else None

        return lookup

    def _load_foreign(self) -> dict[str, ForeignPage]:
        pages: dict[str, ForeignPage] = {}
        for folder, owner in self.state.folders_owned().items():
            try:
                metadata = json.loads((self.output_dir / folder / METADATA_FILE).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            stack = list(metadata.get("pages") or [])
            while stack:
                node = stack.pop()
                if node.get("slugId") and node.get("path"):
                    title = display_title(node.get("title"))
                    pages[node["slugId"]] = ForeignPage(owner, f"{folder}/{node['path']}", title)
                stack.extend(node.get("children") or [])
        return pages

    def _forget_foreign(self) -> None:
        with self._foreign_lock:
            self._foreign = None

    def assign_folders(self, spaces: list[Space]) -> dict[str, str]:
        """A stable folder per space id: the one in state if any, else a new unique name that
        collides with no other space and no folder this tool does not own."""
        owned = self.state.folders_owned()
        existing = {entry for entry in os.listdir(self.output_dir) if entry != STATE_DIR_NAME}
        reserved = {name for name in existing if name not in owned}
        folders: dict[str, str] = {}
        for space in spaces:
            known = self.state.get(space.id)
            if known is not None:
                folders[space.id] = known.folder
                reserved.add(known.folder)
        new = sorted((space for space in spaces if space.id not in folders), key=lambda s: s.id)
        wanted = [safe_name(space.slug or space.name, space.id) for space in new]
        for space, folder in zip(new, unique_names(wanted, reserved=reserved), strict=True):
            folders[space.id] = folder
        return folders

    def check_disk(self, folder: str, download_bytes: int) -> None:
        """Refuse to build when the disk cannot hold the download plus a second copy of the space."""
        known = next((s for s in self.state.spaces.values() if s.folder == folder), None)
        needed = download_bytes * 2 + (known.bytes if known else 0) + 16 * 1024 * 1024
        free = shutil.disk_usage(self.output_dir).free
        if free < needed:
            raise PublishError(
                f"only {free // 1024**2} MiB free in {self.output_dir}, need about {needed // 1024**2} MiB "
                f"to build {folder}; the published copy is kept"
            )

    def build_and_publish(
        self,
        space: Space,
        folder: str,
        tree: list[TreePage],
        archive_path: Path | None,
        fetch_page: PageFetcher | None,
        fingerprint: str | None = None,
        should_stop: Callable[[], bool] | None = None,
        latest_update: str | None = None,
        download_attachment: Callable[[str, str, Path], None] | None = None,
    ) -> SpaceOutcome:
        started = time.monotonic()
        log = get_logger(space=folder)
        previous = self.state.get(space.id) or SpaceState(space_id=space.id, folder=folder)
        temp = self.swap.begin(folder)
        try:
            archive = SafeArchive(archive_path, self.limits) if archive_path is not None else None
            try:
                model = build_from_tree(space.id, space.name, space.slug, folder, tree, archive, fetch_page)
                context = BuildContext(
                    archive=archive,
                    server_url=self.server_url,
                    foreign=self.foreign_lookup(space.id),
                    download_attachment=download_attachment,
                    should_stop=should_stop,
                )
                result = run_chain(model, context, temp)
                build_seconds = time.monotonic() - started
            finally:
                if archive is not None:
                    archive.close()
            live_exists = self.swap.live(folder).exists()
            unchanged = previous.published and previous.digest == result.digest and live_exists
            if unchanged:
                self.swap.discard(folder)
                outcome = "unchanged"
            else:
                if should_stop is not None and should_stop():
                    raise CancelledError(f"{folder} not published: shutting down")
                self.swap.mark_complete(
                    folder, {"space_id": space.id, "digest": result.digest, "pages": result.pages}
                )
                mode = self.swap.publish(folder)
                self._forget_foreign()
                outcome = "published"
                log.debug("space.swapped", mode=mode)
        except BaseException:
            self.swap.discard(folder)
            raise
        now = time.time()
        previous.folder = folder
        previous.name, previous.slug = space.name, space.slug
        previous.digest = result.digest
        previous.tree_fingerprint = fingerprint
        previous.latest_update = latest_update
        previous.links_to = result.linked_spaces
        previous.published = True
        previous.pages, previous.bytes = result.pages, result.bytes_written
        previous.last_attempt = previous.last_success = now
        if outcome == "published":
            previous.last_published = now
        previous.last_result, previous.last_error = outcome, None
        previous.consecutive_failures = 0
        self.state.update(previous)
        seconds = time.monotonic() - started
        return SpaceOutcome(
            space.id,
            folder,
            space.name,
            outcome,
            result.pages,
            result.bytes_written,
            seconds,
            None,
            build_seconds,
        )

    def unchanged_upstream(
        self, space: Space, folder: str, fingerprint: str, latest_update: str | None
    ) -> bool:
        """True when the live tree and the newest page edit are what was last published, so the
        export can be skipped. Unsure (no update time from the server) means False."""
        state = self.state.get(space.id)
        return (
            latest_update is not None
            and state is not None
            and state.published
            and state.folder == folder
            and state.tree_fingerprint == fingerprint
            and state.latest_update == latest_update
            and self.swap.is_complete(self.swap.live(folder))
        )

    def record_unchanged(self, space: Space, folder: str) -> SpaceOutcome:
        state = self.state.get(space.id)
        assert state is not None
        state.name, state.slug = space.name, space.slug
        state.last_attempt = state.last_success = time.time()
        state.last_result, state.last_error, state.consecutive_failures = "unchanged", None, 0
        self.state.update(state)
        return SpaceOutcome(space.id, folder, space.name, "unchanged", state.pages, state.bytes)

    def record_failure(self, space: Space, folder: str, error: str) -> None:
        state = self.state.get(space.id) or SpaceState(space_id=space.id, folder=folder, name=space.name)
        state.last_attempt = time.time()
        state.last_result, state.last_error = "failed", error
        state.consecutive_failures += 1
        self.state.update(state)

    def unpublish(self, space_id: str) -> str | None:
        """Remove a space this tool published (pruning or an emptied space); foreign folders never."""
        state = self.state.get(space_id)
        if state is None:
            return None
        if state.published:
            self.swap.remove(state.folder)
        self.state.remove(space_id)
        self._forget_foreign()
        return state.folder


def _selected(space: Space, include: list[str], exclude: list[str]) -> bool:
    names = (space.name, space.slug, space.id)

    def matches(patterns: list[str]) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns for name in names)

    return (not include or matches(include)) and not matches(exclude)


def sync_space(
    client: DocmostClient,
    publisher: Publisher,
    space: Space,
    folder: str,
    should_stop: Callable[[], bool] | None = None,
    force: bool = False,
) -> SpaceOutcome:
    """One space, start to finish; raises on failure (the caller records it). ``force`` builds
    even when nothing changed upstream (a space it links into was republished)."""
    started, started_at = time.monotonic(), time.time()
    outcome = _sync_space(client, publisher, space, folder, should_stop, force)
    # Every outcome carries its times: relinking orders spaces by them (an emptied space too).
    outcome.seconds = time.monotonic() - started
    outcome.started_at, outcome.finished_at = started_at, time.time()
    return outcome


def _sync_space(
    client: DocmostClient,
    publisher: Publisher,
    space: Space,
    folder: str,
    should_stop: Callable[[], bool] | None,
    force: bool,
) -> SpaceOutcome:
    log = get_logger(space=folder)
    log.info("space.started", space_id=space.id, name=space.name)
    tree = client.page_tree(space.id)
    fingerprint = tree_fingerprint(tree)
    latest_update = client.latest_update(space.id) if tree else None
    if not force and publisher.unchanged_upstream(space, folder, fingerprint, latest_update):
        log.info("space.skipped_export", reason="page tree and latest update time unchanged")
        return publisher.record_unchanged(space, folder)
    downloads = publisher.swap.state_dir / DOWNLOADS_DIR
    downloads.mkdir(exist_ok=True)
    archive_path = downloads / f"{folder}.zip"
    try:
        # No live page: nothing to export (Docmost would answer 400 "No accessible pages").
        has_pages = bool(tree) and client.export_space(space.id, archive_path, should_stop)
        if not has_pages:
            removed = publisher.unpublish(space.id)
            log.info("space.empty", removed_folder=removed)
            return SpaceOutcome(space.id, folder, space.name, "empty")
        publisher.check_disk(folder, archive_path.stat().st_size)
        outcome = publisher.build_and_publish(
            space,
            folder,
            tree,
            archive_path,
            client.export_page,
            fingerprint,
            should_stop,
            latest_update,
            client.download_attachment,
        )
    finally:
        archive_path.unlink(missing_ok=True)
    return outcome


def _prune(publisher: Publisher, listed: set[str]) -> list[SpaceState]:
    """Unpublish every space this tool published that is no longer listed (or now excluded)."""
    pruned = []
    for space_id in [sid for sid in publisher.state.spaces if sid not in listed]:
        state = publisher.state.get(space_id)
        if state is not None and publisher.unpublish(space_id):
            pruned.append(state)
            get_logger().info(
                "space.pruned", space=state.folder, reason="removed upstream or excluded by config"
            )
    return pruned


def _to_relink(
    publisher: Publisher, selected: list[Space], done: list[SpaceOutcome], pruned: list[SpaceState]
) -> list[Space]:
    """Cross-space links: spaces whose pages link into a space that changed (or was pruned) after
    they were built in this run are rebuilt once more, so no link points at a path that moved.
    Failed or cancelled spaces are not retried here; the next run takes them."""
    slugs = {space.id: space.slug for space in selected}
    changed_at: dict[str, float] = {}
    for outcome in done:
        if outcome.result in ("published", "empty"):
            changed_at[outcome.space_id] = changed_at[f"slug:{slugs[outcome.space_id]}"] = outcome.finished_at
    now = time.time()
    for gone in pruned:
        changed_at[gone.space_id] = changed_at[f"slug:{gone.slug}"] = now
    built_at = {o.space_id: o.started_at for o in done if o.result in ("published", "unchanged")}
    again = []
    for space in selected:
        state = publisher.state.get(space.id)
        if space.id not in built_at or state is None:
            continue
        targets = set(state.links_to) - {space.id, f"slug:{space.slug}"}
        if any(changed_at.get(target, 0.0) > built_at[space.id] for target in targets):
            again.append(space)
    return again


def run_sync(
    settings: Settings,
    client: DocmostClient,
    publisher: Publisher,
    *,
    only: list[str] | None = None,
    on_space_done: Callable[[SpaceOutcome], None] | None = None,
    on_listed: Callable[[list[Space]], None] | None = None,
    cancel: threading.Event | None = None,
) -> RunOutcome:
    """One run over every selected space; never raises for a single space's failure."""
    run_id = uuid.uuid4().hex[:12]
    structlog.contextvars.bind_contextvars(run_id=run_id)
    log = get_logger()
    started = time.monotonic()
    outcome = RunOutcome(run_id=run_id)
    try:
        log.info("sync.started", output=str(publisher.output_dir))
        try:
            spaces = client.list_spaces()
        except SyncdError as exc:
            outcome.error = str(exc)
            log.error("sync.failed", error=str(exc), kept="every published space")
            return outcome
        include = settings.sync.spaces_include + list(only or [])
        selected = [s for s in spaces if _selected(s, include, settings.sync.spaces_exclude)]
        not_admin = [s for s in selected if s.role not in (None, "admin")]
        for space in not_admin:
            log.warning(
                "space.not_admin",
                name=space.name,
                role=space.role,
                detail="Docmost lets only space admins export; this space will fail",
            )
        folders = publisher.assign_folders(selected)
        if on_listed is not None:
            on_listed(selected)
        context = structlog.contextvars.get_contextvars()
        should_stop = cancel.is_set if cancel is not None else None

        def job(space: Space, force: bool = False) -> SpaceOutcome:
            structlog.contextvars.bind_contextvars(**context, space=folders[space.id])
            try:
                if cancel is not None and cancel.is_set():
                    raise CancelledError("not started: shutting down")
                result = sync_space(client, publisher, space, folders[space.id], should_stop, force)
                get_logger().info(
                    f"space.{result.result}",
                    pages=result.pages,
                    bytes=result.bytes_written,
                    seconds=round(result.seconds, 3),
                    build_seconds=round(result.build_seconds, 3),
                )
            except CancelledError as exc:
                get_logger().warning("space.cancelled", reason=str(exc), kept="the published copy")
                result = SpaceOutcome(space.id, folders[space.id], space.name, "cancelled", error=str(exc))
            except Exception as exc:
                message = str(exc) if isinstance(exc, SyncdError) else f"{type(exc).__name__}: {exc}"
                publisher.record_failure(space, folders[space.id], message)
                get_logger().error("space.failed", error=message, kept="the published copy")
                result = SpaceOutcome(space.id, folders[space.id], space.name, "failed", error=message)
            finally:
                structlog.contextvars.clear_contextvars()
            if on_space_done is not None:
                on_space_done(result)
            return result

        with ThreadPoolExecutor(max_workers=settings.sync.concurrency, thread_name_prefix="space") as pool:
            outcome.spaces = list(pool.map(job, selected))
        stopping = cancel is not None and cancel.is_set()
        pruned: list[SpaceState] = []
        if settings.sync.prune_removed_spaces and not only and not stopping:
            pruned = _prune(publisher, {space.id for space in selected})
            outcome.pruned = [state.folder for state in pruned]
        again = [] if stopping else _to_relink(publisher, selected, outcome.spaces, pruned)
        if again:
            log.info("sync.relinking", spaces=[folders[s.id] for s in again])
            with ThreadPoolExecutor(
                max_workers=settings.sync.concurrency, thread_name_prefix="space"
            ) as pool:
                redone = {r.space_id: r for r in pool.map(lambda s: job(s, True), again)}
            outcome.spaces = [
                redone[s.space_id] if s.space_id in redone and s.result != "published" else s
                for s in outcome.spaces
            ]
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
        structlog.contextvars.unbind_contextvars("run_id")
