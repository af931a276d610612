"""The Publisher: where every space build ends, for ``sync`` and ``convert`` alike.

It owns the output folder's files and folders: which folder each space gets, the state file, the
swap manager (the page cache is the run's). A finished build is compared with what is published (by digest): equal, it is
discarded and the published folder keeps its inode; different, it is marked complete and
swapped in. Spaces are removed only if the state says this tool published them.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docmost_syncd.config import LimitsSettings
from docmost_syncd.errors import CancelledError, PublishError
from docmost_syncd.log import get_logger
from docmost_syncd.model import Space
from docmost_syncd.publish.state import SpaceState, StateStore
from docmost_syncd.publish.swap import STATE_DIR_NAME, SwapManager, read_json_object, read_marker
from docmost_syncd.publish.writer import METADATA_FILE, Manifest, StagingWriter, manifest_from_json

LEGACY_DOWNLOADS = "downloads"  # export ZIPs of the releases that synced through space exports


@dataclass
class SpaceOutcome:
    space_id: str
    folder: str
    name: str
    result: str  # published | unchanged | empty | failed | cancelled
    pages: int = 0
    bytes_written: int = 0
    seconds: float = 0.0
    error: str | None = None
    build_seconds: float = 0.0  # layout, rendering and writing into staging
    files_written: int = 0
    files_linked: int = 0
    files_kept: int = 0


@dataclass
class BuildSummary:
    """What a finished build says about itself, recorded in the state."""

    pages: int
    build_key: str | None = None
    foreign: dict[str, str] | None = None
    build_seconds: float = 0.0
    paths: dict[str, str] | None = None  # page id → the path it is published at now
    moved_out: dict[str, list[str]] | None = None  # see SpaceState.moved_out


MAX_PATHS_REMEMBERED = 20  # per page: older ones are forgotten


def remember_paths(history: dict[str, list[str]], current: dict[str, str]) -> dict[str, list[str]]:
    """Every path each live page was published at, the current one last; pages no longer
    published are forgotten (an old URL must never lead to a page that is gone, or private)."""
    remembered = {}
    for page_id, path in current.items():
        earlier = [old for old in history.get(page_id, []) if old != path]
        remembered[page_id] = [*earlier, path][-MAX_PATHS_REMEMBERED:]
    return remembered


class Publisher:
    def __init__(
        self,
        output_dir: Path,
        limits: LimitsSettings,
        *,
        server_url: str | None = None,
        fsync_files: bool = False,
        source: str = "sync",
    ) -> None:
        output_dir.mkdir(parents=True, exist_ok=True)
        self.output_dir = output_dir
        self.source = source  # which command publishes through this publisher (see SpaceState.source)
        self.limits = limits
        self.server_url = server_url
        self.swap = SwapManager(output_dir, fsync_files=fsync_files, background_delete=True, keep_spare=True)
        self.state = StateStore.load(self.swap.state_dir)

    def recover(self) -> list[str]:
        """Start-up recovery: finish or undo interrupted swaps."""
        actions = self.swap.recover()
        downloads = self.swap.state_dir / LEGACY_DOWNLOADS
        if downloads.is_dir():
            shutil.rmtree(downloads, ignore_errors=True)
            actions.append(f"deleted {downloads} (export downloads of an earlier release)")
        return actions

    def close(self) -> None:
        """Done with the output folder: every retired copy deleted."""
        self.swap.drain()

    # ---- what is published --------------------------------------------------------------------

    def published_manifest(self, folder: str) -> Manifest:
        marker = read_marker(self.swap.live(folder)) or {}
        return manifest_from_json(marker.get("files"))

    def published_metadata(self, folder: str) -> dict[str, Any] | None:
        return read_json_object(self.swap.live(folder) / METADATA_FILE)

    def folder_claims(self) -> tuple[dict[str, str], set[str]]:
        """(space id → the folder the state gives it, for this publisher's source; every other
        name in the output folder, or given to another source's space): what a new space's
        folder must not collide with. Another command's space keeps its folder."""
        known = {space_id: state.folder for space_id, state in self.state.of_source(self.source).items()}
        existing = {entry for entry in os.listdir(self.output_dir) if entry != STATE_DIR_NAME}
        others = {state.folder for state in self.state.spaces.values() if state.source != self.source}
        return known, (existing | others) - set(known.values())

    def disk_full(self, folder: str, exc: OSError) -> str:
        """The message of a build that ran out of room (ENOSPC, EDQUOT)."""
        free = shutil.disk_usage(self.output_dir).free
        return (
            f"{exc.strerror or exc} in {self.output_dir} ({free // 1024**2} MiB free now) while building "
            f"{folder}; its staging folder was removed"
        )

    def check_disk(self, folder: str, extra_bytes: int = 0) -> None:
        """Refuse to build when the disk could not hold a second copy of the space."""
        known = self.state.by_folder(folder)
        needed = extra_bytes + (known.bytes if known else 0) + 16 * 1024 * 1024
        free = shutil.disk_usage(self.output_dir).free
        if free < needed:
            raise PublishError(
                f"only {free // 1024**2} MiB free in {self.output_dir}, need about {needed // 1024**2} MiB "
                f"to build {folder}; the published copy is kept"
            )

    # ---- building and publishing ----------------------------------------------------------------

    @contextmanager
    def building(self, folder: str) -> Iterator[StagingWriter]:
        """A staging folder for a build, and a writer that reuses the published copy's files:
        the space's spare when it has one (the build then rewrites only what changed), else an
        empty folder. Whatever stops the build discards the staging folder; the published copy stays."""
        published = self.published_manifest(folder)
        present = self._take_spare(folder, published)
        temp = self.swap.temp(folder) if present else self.swap.begin(folder)
        live = self.swap.live(folder)
        try:
            yield StagingWriter(temp, live if live.is_dir() else None, published, present)
        except BaseException:
            self.swap.discard(folder)
            raise

    def _take_spare(self, folder: str, published: Manifest) -> Manifest:
        """The manifest of the space's spare, now its staging folder; empty when there is none."""
        marker = self.swap.take_spare(folder)
        return manifest_from_json(marker.get("files"), like=published) if marker is not None else {}

    def finish(
        self,
        space: Space,
        folder: str,
        writer: StagingWriter,
        summary: BuildSummary,
        should_stop: Any = None,
    ) -> SpaceOutcome:
        """Swap a complete build in, unless it equals what is published; then record the state.
        Called inside ``building``, which discards the staging folder if this raises."""
        log = get_logger(space=folder)
        previous = self.state.get(space.id) or SpaceState(space_id=space.id, folder=folder, source=self.source)
        digest = writer.digest()
        unchanged = previous.published and previous.digest == digest and self.swap.live(folder).exists()
        marker = {"space_id": space.id, "digest": digest, "pages": summary.pages}
        if unchanged:
            if writer.manifest != writer.published:
                self.swap.replace_marker(folder, marker, writer.manifest_json())
            self.swap.shelve(folder, marker, writer.manifest_json())
        else:
            if should_stop is not None and should_stop():
                raise CancelledError(f"{folder} not published: shutting down")
            self.swap.mark_complete(folder, marker, writer.manifest_json())
            mode = self.swap.publish(folder)
            log.debug("space.swapped", mode=mode)
            if not writer.published.keys() <= writer.manifest.keys():
                # The retired copy, now the spare, holds files of pages no longer published:
                # nothing unpublished stays in the output folder, hidden or not.
                self.swap.drop_spare(folder)
        now = time.time()
        previous.folder = folder
        previous.name, previous.slug = space.name, space.slug
        previous.digest = digest
        previous.build_key = summary.build_key
        previous.foreign = dict(summary.foreign or {})
        if summary.moved_out is not None:
            previous.moved_out = summary.moved_out
        if summary.paths is not None:
            history = self.state.paths(space.id)
            remembered = remember_paths(history, summary.paths)
            if remembered != history:
                self.state.set_paths(space.id, remembered)
        previous.published = True
        total_bytes = writer.total_bytes()
        previous.pages, previous.bytes = summary.pages, total_bytes
        previous.last_attempt = previous.last_success = now
        if not unchanged:
            previous.last_published = now
        previous.last_result, previous.last_error = ("unchanged" if unchanged else "published"), None
        previous.consecutive_failures = 0
        self.state.update(previous)
        return SpaceOutcome(
            space.id,
            folder,
            space.name,
            previous.last_result,
            summary.pages,
            total_bytes,
            build_seconds=summary.build_seconds,
            files_written=writer.files_written,
            files_linked=writer.files_linked,
            files_kept=writer.files_kept,
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
        state = self.state.get(space.id) or SpaceState(
            space_id=space.id, folder=folder, name=space.name, source=self.source
        )
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
        return state.folder
