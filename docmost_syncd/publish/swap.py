"""The swap manager: a space folder is always the previous complete version or the new one.

Layout inside the output folder::

    <output>/<space>/                      the published space (what Docusaurus reads)
    <output>/.docmost-syncd/<space>_temp/  a build in progress; complete once MARKER is in it
    <output>/.docmost-syncd/<space>_old/   the retired version, deleted right after a swap
    <output>/.docmost-syncd/<space>_spare/ or kept, when asked, as the start of the next build
                                           (a first publish seeds it with hard links)
    <output>/.docmost-syncd/trash/         retired versions a background thread is deleting

Staging is hidden (Docusaurus skips dot folders) and inside the output folder, so every rename is
on one filesystem. Publishing is one ``renameat2(RENAME_EXCHANGE)``: there is no instant without
the folder. Where the filesystem refuses it (NFS, FUSE, old kernels) the two-rename fallback runs,
with rollback, and its short gap is logged once. Start-up recovery (``recover``) turns whatever a
crash left into exactly one complete version and an empty staging area.

A kept retired version (the *spare*) lets the next build of the space rewrite only the files
that changed instead of linking twenty thousand files into a fresh tree and deleting as many:
``take_spare`` hands it over as the staging folder, marker removed first. Its files may share
inodes with the published copy, so whoever builds in it replaces files, never writes into them
(the StagingWriter does). A reader that kept a handle on a retired folder for a whole sync
interval can see it change; readers that open the space by its path never do.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import functools
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from docmost_syncd.errors import PublishError
from docmost_syncd.log import get_logger
from docmost_syncd.publish.state import fsync_dir

STATE_DIR_NAME = ".docmost-syncd"
MARKER = ".docmost-syncd-complete"
TEMP_SUFFIX = "_temp"
OLD_SUFFIX = "_old"
SPARE_SUFFIX = "_spare"
TRASH_DIR = "trash"  # retired copies being deleted in the background
LEGACY_FINGERPRINT = "_metadata.json"  # the original Go tool wrote one at the root of every space

AT_FDCWD = -100
RENAME_NOREPLACE = 1
RENAME_EXCHANGE = 2
_UNSUPPORTED = frozenset({errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP})

Checkpoint = Callable[[str], None]
"""Called at every step of a publish with the step's name; tests use it to inject crashes."""


@functools.cache
def _libc() -> Any:
    return ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def renameat2(source: Path, target: Path, flags: int) -> None:
    """Linux renameat2(2) through ctypes; raises OSError(ENOSYS) where libc lacks it."""
    function = getattr(_libc(), "renameat2", None)
    if function is None:
        raise OSError(errno.ENOSYS, "renameat2 is not in this C library", str(source))
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    if function(AT_FDCWD, os.fsencode(source), AT_FDCWD, os.fsencode(target), flags) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(source), None, str(target))


def syncfs(path: Path) -> bool:
    """Linux syncfs(2) of the filesystem holding ``path``; False where the C library lacks it."""
    function = getattr(_libc(), "syncfs", None)
    if function is None:
        return False
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        return bool(function(fd) == 0)
    finally:
        os.close(fd)


def _no_checkpoint(_step: str) -> None:
    return None


class SwapManager:
    def __init__(
        self,
        output_dir: Path,
        *,
        fsync_files: bool = False,
        checkpoint: Checkpoint = _no_checkpoint,
        exchange_supported: bool | None = None,
        background_delete: bool = False,
        keep_spare: bool = False,
    ) -> None:
        self.output_dir = output_dir
        self.state_dir = output_dir / STATE_DIR_NAME
        self.fsync_files = fsync_files
        self._checkpoint = checkpoint
        self._exchange_supported = exchange_supported  # None: find out on first use
        self.background_delete = background_delete
        self.keep_spare = keep_spare
        self._deleting: list[threading.Thread] = []
        self._deleting_lock = threading.Lock()
        self.last_gap_seconds: float | None = None  # how long the last fallback left <space> missing
        self._log = get_logger(component="publish")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if os.stat(self.output_dir).st_dev != os.stat(self.state_dir).st_dev:
            raise PublishError(
                f"{self.state_dir} is on another filesystem than {self.output_dir}; "
                "renames between them would not be atomic (is something mounted there?)"
            )

    # ---- paths ---------------------------------------------------------------------------------

    def live(self, folder: str) -> Path:
        return self.output_dir / folder

    def temp(self, folder: str) -> Path:
        return self.state_dir / f"{folder}{TEMP_SUFFIX}"

    def old(self, folder: str) -> Path:
        return self.state_dir / f"{folder}{OLD_SUFFIX}"

    def spare(self, folder: str) -> Path:
        return self.state_dir / f"{folder}{SPARE_SUFFIX}"

    # ---- building ------------------------------------------------------------------------------

    def begin(self, folder: str) -> Path:
        """A fresh, empty staging folder for one space build."""
        self.discard(folder)  # a leftover of a build that stopped
        temp = self.temp(folder)
        temp.mkdir()
        return temp

    def take_spare(self, folder: str) -> dict[str, Any] | None:
        """The space's spare as its staging folder, with what its marker said; None (and no
        staging folder) when there is no spare or its marker is unreadable. The marker goes
        first: a crash from here on leaves an incomplete build, which recovery deletes."""
        spare = self.spare(folder)
        if not spare.is_dir():
            return None
        info = read_marker(spare)
        if info is None:
            self._delete(spare)
            return None
        os.unlink(spare / MARKER)
        self.discard(folder)
        os.rename(spare, self.temp(folder))
        return info

    def mark_complete(self, folder: str, info: dict[str, Any], files: Iterable[str] | None = None) -> None:
        """Make the build durable, then write the marker last: only then is it complete.

        One syncfs(2) of the output's filesystem makes every new folder entry durable at once
        (a build of 20,000 pages has thousands of folders: as many fsyncs took longer than
        writing them); where syncfs is missing, each folder is fsynced."""
        temp = self.temp(folder)
        if self.fsync_files or not syncfs(temp):
            for root, _dirs, files in os.walk(temp, topdown=False):
                if self.fsync_files:
                    for file in files:
                        fd = os.open(os.path.join(root, file), os.O_RDONLY)
                        try:
                            os.fsync(fd)
                        finally:
                            os.close(fd)
                fsync_dir(Path(root))
        marker = temp / MARKER
        _write_durably(marker, info, files)
        fsync_dir(temp)
        self._checkpoint("marked_complete")

    def replace_marker(self, folder: str, info: dict[str, Any], files: Iterable[str] | None = None) -> None:
        """Give the published copy a new marker, files untouched: a build equal to it for
        readers but made from other inputs (an edit that renders the same) must record those
        inputs, or the published copy would say something a fresh build never writes. The
        marker is written in the staging folder and renamed over the live one: either is whole."""
        temp, live = self.temp(folder), self.live(folder)
        staged = temp / MARKER
        _write_durably(staged, info, files)
        os.replace(staged, live / MARKER)
        fsync_dir(live)

    def shelve(self, folder: str, info: dict[str, Any], files: Iterable[str] | None = None) -> None:
        """A complete build that is not published, since it equals the published copy (an edit
        that renders the same, a save that changed nothing): the space's spare when spares are
        kept, made durable and marked like any other, so the next build need not start empty."""
        if not self.keep_spare:
            self.discard(folder)
            return
        self.mark_complete(folder, info, files)
        self._make_spare(self.temp(folder), folder)

    @staticmethod
    def is_complete(path: Path) -> bool:
        return (path / MARKER).is_file()

    def discard(self, folder: str) -> None:
        """A failed or needless build: remove its staging folder, and a retired copy that a fault
        after the swap left behind (never while the space folder is missing: then the retired
        copy is the published one, for start-up recovery to restore); the published space is
        untouched."""
        temp = self.temp(folder)
        if temp.exists():
            self._delete(temp)
        old = self.old(folder)
        if old.exists() and self.is_complete(self.live(folder)):
            self._delete(old)

    # ---- publishing ----------------------------------------------------------------------------

    def publish(self, folder: str) -> str:
        """Swap the complete staging folder in. Returns ``first``, ``exchange`` or ``fallback``."""
        temp, live = self.temp(folder), self.live(folder)
        if not self.is_complete(temp):
            raise PublishError(f"{temp} is not a complete build (no {MARKER}); not publishing it")
        if not live.exists():
            self._promote(temp, live)
            self._checkpoint("promoted")
            fsync_dir(self.output_dir)
            fsync_dir(self.state_dir)
            if self.keep_spare:
                self._seed_spare(folder)
            return "first"
        if self._exchange_supported is not False:
            try:
                renameat2(temp, live, RENAME_EXCHANGE)
                self._exchange_supported = True
            except OSError as exc:
                if exc.errno not in _UNSUPPORTED:
                    raise PublishError(f"exchange of {temp} and {live} failed: {exc.strerror}") from None
                self._exchange_supported = False
                self._log.warning(
                    "publish.fallback",
                    output=str(self.output_dir),
                    reason=f"renameat2(RENAME_EXCHANGE) refused: {exc.strerror}",
                    detail="using two renames: readers may briefly see the space folder missing",
                )
            else:
                self._checkpoint("exchanged")
                fsync_dir(self.output_dir)
                fsync_dir(self.state_dir)
                self._retire(temp, folder)
                return "exchange"
        self._two_renames(temp, live, folder)
        return "fallback"

    def _seed_spare(self, folder: str) -> None:
        """A first publish retires nothing, so the space's first edit would link every file into
        an empty folder: give it a spare now, the published files hard-linked (directory entries,
        not bytes), the marker last. Cut short, it has no marker and is deleted."""
        live, spare = self.live(folder), self.drop_spare(folder)
        prefix = len(str(live)) + 1
        try:
            for root, _dirs, files in os.walk(live):
                target = os.path.join(spare, root[prefix:]) if len(root) >= prefix else str(spare)
                os.makedirs(target, exist_ok=True)
                for name in files:
                    if name != MARKER:
                        os.link(os.path.join(root, name), os.path.join(target, name))
            self._checkpoint("seeding")
            # The links before the marker: a spare that lost one fails a build, never a publish.
            if not syncfs(spare):
                fsync_dir(spare)
            os.link(live / MARKER, spare / MARKER)
        except OSError as exc:  # the space is published; only the next build's head start is lost
            self._log.warning("publish.spare_skipped", space=folder, reason=exc.strerror or str(exc))
            self._delete(spare)

    def _promote(self, temp: Path, live: Path) -> None:
        try:
            renameat2(temp, live, RENAME_NOREPLACE)
        except OSError as exc:
            if exc.errno not in _UNSUPPORTED:
                raise PublishError(f"publishing {temp} as {live} failed: {exc.strerror}") from None
            if live.exists():
                raise PublishError(f"{live} appeared while publishing; not overwriting it") from None
            os.rename(temp, live)

    def _two_renames(self, temp: Path, live: Path, folder: str) -> None:
        old = self.old(folder)
        if old.exists():
            shutil.rmtree(old)
        started = time.perf_counter()
        os.rename(live, old)
        self._checkpoint("fallback_live_retired")
        try:
            os.rename(temp, live)
        except OSError as exc:
            os.rename(old, live)  # roll back: the previous version stays published
            raise PublishError(
                f"publishing {temp} as {live} failed and was rolled back: {exc.strerror}"
            ) from None
        gap = self.last_gap_seconds = time.perf_counter() - started
        self._checkpoint("fallback_promoted")
        fsync_dir(self.output_dir)
        fsync_dir(self.state_dir)
        self._log.debug("publish.fallback_gap", space=folder, gap_seconds=round(gap, 6))
        self._let_go(old, folder)

    def _retire(self, temp_holding_old: Path, folder: str) -> None:
        old = self.old(folder)
        if old.exists():
            shutil.rmtree(old)
        os.rename(temp_holding_old, old)
        self._checkpoint("retired")
        fsync_dir(self.state_dir)
        self._let_go(old, folder)

    def _let_go(self, retired: Path, folder: str) -> None:
        """A retired copy, out of the way: kept as the spare when asked for, else deleted."""
        if self.keep_spare:
            self._make_spare(retired, folder)
        else:
            self._delete(retired)
        self._checkpoint("deleted")

    def _make_spare(self, complete_copy: Path, folder: str) -> None:
        """``complete_copy`` (marked, durable) becomes the space's spare, replacing any other."""
        os.rename(complete_copy, self.drop_spare(folder))

    def drop_spare(self, folder: str) -> Path:
        """Delete the space's spare, if it has one; returns where a spare goes."""
        spare = self.spare(folder)
        if spare.exists():
            self._delete(spare)
        return spare

    def _delete(self, path: Path) -> None:
        """Delete a retired copy. In the background when asked for: a retired tree of 20,000
        files takes a second to delete, and nothing waits for it but the disk. It is first moved
        into the trash folder, under a name no later build takes; start-up recovery empties the
        trash of a process that stopped before its deleter finished."""
        if not self.background_delete:
            shutil.rmtree(path, ignore_errors=True)
            return
        trash = self.state_dir / TRASH_DIR
        trash.mkdir(exist_ok=True)
        moved = trash / f"{path.name}.{uuid.uuid4().hex[:8]}"
        os.rename(path, moved)
        with self._deleting_lock:
            self._deleting = [t for t in self._deleting if t.is_alive()]
            deleter = threading.Thread(
                target=shutil.rmtree, args=(moved, True), name="delete-retired", daemon=True
            )
            self._deleting.append(deleter)
        deleter.start()

    def drain(self) -> None:
        """Wait until every retired copy handed to the background is deleted."""
        with self._deleting_lock:
            pending, self._deleting = self._deleting, []
        for deleter in pending:
            deleter.join()

    def remove(self, folder: str) -> None:
        """Unpublish a space (pruning): retire it into staging first so the delete is never seen half-done."""
        self.drop_spare(folder)
        live = self.live(folder)
        if not live.exists():
            return
        old = self.old(folder)
        if old.exists():
            shutil.rmtree(old)
        os.rename(live, old)
        fsync_dir(self.output_dir)
        self._delete(old)

    # ---- recovery ------------------------------------------------------------------------------

    def recover(self) -> list[str]:
        """Turn whatever a crash left into one complete version per space and empty staging.

        | found                                         | action                    |
        | _temp, and <space> exists                     | delete _temp              |
        | _temp complete, <space> missing               | promote _temp             |
        | _temp incomplete, <space> missing             | delete _temp              |
        | _old, and <space> exists (after the above)    | delete _old               |
        | _old, <space> missing                         | restore _old              |
        | _spare, and <space> missing or no marker      | delete _spare             |

        The same rules apply to ``<output>/<space>_temp``/``_old`` left by the original Go tool
        (recognised by its ``_metadata.json``; its builds never count as complete).
        """
        actions: list[str] = []
        trash = self.state_dir / TRASH_DIR
        if trash.is_dir():
            for entry in sorted(trash.iterdir()):
                shutil.rmtree(entry, ignore_errors=True)
                actions.append(f"deleted retired copy {entry} (its deletion was cut short)")
        for staging_dir, folder, legacy in self._leftovers():
            temp = staging_dir / f"{folder}{TEMP_SUFFIX}"
            old = staging_dir / f"{folder}{OLD_SUFFIX}"
            live = self.live(folder)
            if temp.exists():
                if live.exists():
                    shutil.rmtree(temp)
                    actions.append(f"deleted leftover build {temp} ({folder} is published)")
                elif not legacy and self.is_complete(temp):
                    self._promote(temp, live)
                    actions.append(f"promoted complete build {temp} to {live}")
                else:
                    shutil.rmtree(temp)
                    actions.append(f"deleted incomplete build {temp}")
            if old.exists():
                if live.exists():
                    shutil.rmtree(old)
                    actions.append(f"deleted retired copy {old}")
                else:
                    self._promote(old, live)
                    actions.append(f"restored retired copy {old} to {live}")
        for name in sorted(os.listdir(self.state_dir)):
            # A spare only ever starts a build of a published space; it is never published itself.
            spare = self.state_dir / name
            if not name.endswith(SPARE_SUFFIX) or name == SPARE_SUFFIX or not spare.is_dir():
                continue
            if not self.live(name[: -len(SPARE_SUFFIX)]).is_dir() or not self.is_complete(spare):
                shutil.rmtree(spare)
                actions.append(f"deleted spare copy {spare} (no published space or no marker)")
        if actions:
            fsync_dir(self.output_dir)
            fsync_dir(self.state_dir)
        for action in actions:
            self._log.warning("recovery.action", action=action)
        return actions

    def _leftovers(self) -> Iterable[tuple[Path, str, bool]]:
        seen: set[tuple[Path, str]] = set()
        found: list[tuple[Path, str, bool]] = []
        candidates = [(self.state_dir, False), (self.output_dir, True)]
        for directory, legacy in candidates:
            for entry in sorted(os.listdir(directory)):
                for suffix in (TEMP_SUFFIX, OLD_SUFFIX):
                    if not entry.endswith(suffix) or entry == suffix:
                        continue
                    path = directory / entry
                    if not path.is_dir() or path.is_symlink():
                        continue
                    if legacy and (self.is_complete(path) or not (path / LEGACY_FINGERPRINT).is_file()):
                        # A published space of ours (it carries the marker), or a folder that is
                        # neither ours nor the original tool's: never touched.
                        continue
                    folder = entry[: -len(suffix)]
                    if (directory, folder) not in seen:
                        seen.add((directory, folder))
                        found.append((directory, folder, legacy))
        return found


def read_json_object(path: Path) -> dict[str, Any] | None:
    """A JSON object file; None when it is missing or damaged."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def read_marker(folder: Path) -> dict[str, Any] | None:
    """What a complete copy's marker says; None when it is missing or damaged."""
    return read_json_object(folder / MARKER)


def _write_durably(path: Path, info: dict[str, Any], files: Iterable[str] | None = None) -> None:
    """A marker's JSON, on disk before the caller renames or relies on it. ``files``, the JSON
    text of the build's manifest in pieces, is written piece by piece as the last key: as one
    string, the manifest of a 20,000-page space was 12 MB at the moment memory peaks."""
    text = json.dumps(info)  # json's C encoder; json.dump would take the Python one
    with path.open("w", encoding="utf-8") as handle:
        if files is None:
            handle.write(text)
        else:
            handle.write(f'{text[:-1]}, "files": ' if info else '{"files": ')
            handle.writelines(files)
            handle.write("}")
        handle.flush()
        os.fsync(handle.fileno())
