"""The swap manager: zero-gap publication, crash recovery at every step, real processes and signals."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from docmost_syncd.errors import LockedError, PublishError
from docmost_syncd.publish import swap as swap_module
from docmost_syncd.publish.lock import OutputLock
from docmost_syncd.publish.swap import MARKER, SwapManager
from docmost_syncd.publish.writer import ManifestEntry, StagingWriter
from tests.publish_worker import build_version, file_content

WORKER = Path(__file__).parent / "publish_worker.py"
FILES = 12


def publish_version(swap: SwapManager, folder: str, version: str) -> str:
    temp = swap.begin(folder)
    build_version(temp, version, FILES, None)
    swap.mark_complete(folder, {"version": version})
    return swap.publish(folder)


def assert_one_complete_version(output: Path, folder: str, versions: set[str]) -> str:
    """Exactly one whole version is published and staging holds nothing."""
    live = output / folder
    assert live.is_dir(), f"{live} is missing"
    version = (live / "VERSION").read_text()
    assert version in versions
    pages = sorted(live.rglob("page-*.md"))
    assert len(pages) == FILES
    for page in pages:
        index = int(page.stem.split("-")[1])
        assert page.read_bytes() == file_content(version, index)
    assert (live / MARKER).is_file()
    staging = output / ".docmost-syncd"
    leftovers = [p.name for p in staging.iterdir() if p.name.endswith(("_temp", "_old"))]
    assert leftovers == []
    return version


def test_first_publish_then_exchange(tmp_path: Path) -> None:
    swap = SwapManager(tmp_path)
    assert publish_version(swap, "space", "v1") == "first"
    inode = (tmp_path / "space").stat().st_ino
    assert publish_version(swap, "space", "v2") == "exchange"
    assert (tmp_path / "space").stat().st_ino != inode
    assert assert_one_complete_version(tmp_path, "space", {"v2"}) == "v2"


def test_retired_copies_are_deleted_in_the_background(tmp_path: Path) -> None:
    swap = SwapManager(tmp_path, background_delete=True)
    publish_version(swap, "space", "v1")
    for version in ("v2", "v3", "v4"):
        assert publish_version(swap, "space", version) == "exchange"
    swap.drain()
    assert assert_one_complete_version(tmp_path, "space", {"v4"}) == "v4"
    assert list((tmp_path / ".docmost-syncd" / "trash").iterdir()) == []


def test_recovery_empties_a_trash_whose_deletion_was_cut_short(tmp_path: Path) -> None:
    swap = SwapManager(tmp_path)
    publish_version(swap, "space", "v1")
    cut_short = tmp_path / ".docmost-syncd" / "trash" / "space_old.1a2b3c4d"
    cut_short.mkdir(parents=True)
    build_version(cut_short, "v0", FILES, None)
    actions = swap.recover()
    assert actions == [f"deleted retired copy {cut_short} (its deletion was cut short)"]
    assert not cut_short.exists()
    assert assert_one_complete_version(tmp_path, "space", {"v1"}) == "v1"


def test_fallback_when_exchange_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    swap = SwapManager(tmp_path)
    publish_version(swap, "space", "v1")
    real = swap_module.renameat2

    def nfs_like(source: Path, target: Path, flags: int) -> None:
        if flags == swap_module.RENAME_EXCHANGE:
            raise OSError(errno.EINVAL, "Invalid argument")
        real(source, target, flags)

    monkeypatch.setattr(swap_module, "renameat2", nfs_like)
    assert publish_version(swap, "space", "v2") == "fallback"
    assert publish_version(swap, "space", "v3") == "fallback"  # probed once, remembered
    assert_one_complete_version(tmp_path, "space", {"v3"})


def test_incomplete_build_is_never_published(tmp_path: Path) -> None:
    swap = SwapManager(tmp_path)
    temp = swap.begin("space")
    build_version(temp, "v1", FILES, None)
    with pytest.raises(PublishError, match="not a complete build"):
        swap.publish("space")
    assert not (tmp_path / "space").exists()


def test_staging_on_another_filesystem_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_stat = os.stat

    class FakeStat:
        def __init__(self, result: os.stat_result, dev: int) -> None:
            self.st_dev = dev

    def fake_stat(path: object, *args: object, **kwargs: object) -> object:
        result = real_stat(path, *args, **kwargs)  # type: ignore[arg-type]
        return FakeStat(result, 99) if str(path).endswith(".docmost-syncd") else result

    monkeypatch.setattr(swap_module.os, "stat", fake_stat)
    with pytest.raises(PublishError, match="another filesystem"):
        SwapManager(tmp_path)


# ---- recovery table -------------------------------------------------------------------------


def make_tree(path: Path, version: str, complete: bool) -> None:
    path.mkdir(parents=True)
    build_version(path, version, FILES, None)
    if complete:
        (path / MARKER).write_text("{}")


@pytest.mark.parametrize(
    ("live", "temp", "old", "expected"),
    [
        ("v1", "v2-incomplete", None, "v1"),  # _temp and <space>: delete _temp
        ("v1", "v2", None, "v1"),  # even a complete _temp is dropped when <space> exists
        (None, "v2", None, "v2"),  # _temp complete, <space> missing: promote
        (None, "v2-incomplete", "v1", "v1"),  # _temp incomplete, <space> missing, _old: restore _old
        ("v2", None, "v1", "v2"),  # _old and <space>: delete _old
        (None, None, "v1", "v1"),  # crash inside the fallback gap: restore _old
        (None, "v2", "v1", "v2"),  # crash between the fallback renames: newest complete wins
    ],
)
def test_recovery_table(
    tmp_path: Path, live: str | None, temp: str | None, old: str | None, expected: str
) -> None:
    swap = SwapManager(tmp_path)
    if live:
        make_tree(tmp_path / "space", live, complete=True)
    if temp:
        make_tree(swap.temp("space"), temp.split("-")[0], complete=not temp.endswith("incomplete"))
    if old:
        make_tree(swap.old("space"), old, complete=True)
    actions = swap.recover()
    assert actions
    assert assert_one_complete_version(tmp_path, "space", {expected}) == expected


def test_a_kept_spare_starts_the_next_build_and_recovery_keeps_only_a_whole_one(tmp_path: Path) -> None:
    swap = SwapManager(tmp_path, keep_spare=True)
    publish_version(swap, "space", "v1")
    # A first publish retires nothing: its spare is the published files hard-linked.
    seeded = swap.spare("space")
    assert swap.is_complete(seeded)
    for live_file in (tmp_path / "space").rglob("*"):
        if live_file.is_file():
            assert (
                live_file.stat().st_ino == (seeded / live_file.relative_to(tmp_path / "space")).stat().st_ino
            )
    publish_version(swap, "space", "v2")
    assert (swap.spare("space") / "VERSION").read_text() == "v1"
    assert swap.recover() == []  # a whole spare of a published space stays
    assert swap.take_spare("space") == {"version": "v1"}
    assert not swap.spare("space").exists()
    temp = swap.temp("space")
    assert (temp / "VERSION").read_text() == "v1" and not (temp / MARKER).exists()
    swap.discard("space")
    make_tree(swap.spare("space"), "v0", complete=False)
    assert swap.recover() == [f"deleted spare copy {swap.spare('space')} (no published space or no marker)"]
    make_tree(swap.spare("other"), "v0", complete=True)
    assert len(swap.recover()) == 1 and not swap.spare("other").exists()  # "other" is not published
    publish_version(swap, "space", "v3")
    swap.remove("space")
    assert not swap.spare("space").exists() and not (tmp_path / "space").exists()


def test_a_spare_that_cannot_be_seeded_leaves_the_first_publish_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    swap = SwapManager(tmp_path, keep_spare=True)
    real_link = os.link

    def too_many_links(source: object, target: object, *args: object, **kwargs: object) -> None:
        if "_spare" in str(target):
            raise OSError(errno.EMLINK, "Too many links", str(target))
        real_link(source, target, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(swap_module.os, "link", too_many_links)
    assert publish_version(swap, "space", "v1") == "first"
    assert assert_one_complete_version(tmp_path, "space", {"v1"}) == "v1"
    assert not swap.spare("space").exists()
    captured = capsys.readouterr()
    assert "publish.spare_skipped" in captured.out + captured.err  # wherever logging is configured to go


def test_recovery_of_original_tool_leftovers(tmp_path: Path) -> None:
    old = tmp_path / "보안 공통 문서_old"
    old.mkdir()
    (old / "_metadata.json").write_text("{}")
    (old / "page.md").write_text("last good copy")
    temp = tmp_path / "보안 공통 문서_temp"
    temp.mkdir()
    (temp / "_metadata.json").write_text("{}")
    foreign = tmp_path / "notes_old"  # a user's folder: no _metadata.json, never touched
    foreign.mkdir()
    (foreign / "keep.md").write_text("mine")
    actions = SwapManager(tmp_path).recover()
    assert len(actions) == 2
    assert (tmp_path / "보안 공통 문서" / "page.md").read_text() == "last good copy"
    assert not temp.exists() and not old.exists()
    assert (foreign / "keep.md").read_text() == "mine"


def test_recovery_leaves_a_published_space_named_like_a_leftover_alone(tmp_path: Path) -> None:
    swap = SwapManager(tmp_path)
    publish_version(swap, "release_old", "v1")  # a space whose folder happens to end in _old
    (tmp_path / "release_old" / "_metadata.json").write_text("{}")
    assert swap.recover() == []
    assert (tmp_path / "release_old" / "VERSION").read_text() == "v1"


# ---- crash injection with real processes and SIGKILL ------------------------------------------

EXCHANGE_STEPS = ["building", "marked_complete", "exchanged", "retired", "deleted"]
FIRST_STEPS = ["building", "marked_complete", "promoted"]
FALLBACK_STEPS = ["building", "marked_complete", "fallback_live_retired", "fallback_promoted", "deleted"]


def run_worker(output: Path, version: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(WORKER), str(output), "space", version, "--files", str(FILES), *extra],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("mode", "step"),
    [("exchange", s) for s in EXCHANGE_STEPS]
    + [("first", s) for s in FIRST_STEPS]
    + [("fallback", s) for s in FALLBACK_STEPS]
    + [("spare", s) for s in EXCHANGE_STEPS]
    + [("first-spare", s) for s in [*FIRST_STEPS, "seeding"]],
)
def test_sigkill_at_every_step_then_recover(tmp_path: Path, mode: str, step: str) -> None:
    extra = {"fallback": ["--fallback"], "spare": ["--spare"], "first-spare": ["--spare"]}.get(mode, [])
    if mode == "spare":  # v0 retired into the spare by v1; the killed v2 is built in it
        assert run_worker(tmp_path, "v0", *extra).returncode == 0
    if not mode.startswith("first"):
        assert run_worker(tmp_path, "v1", *extra).returncode == 0
    if mode == "spare":
        assert SwapManager.is_complete(SwapManager(tmp_path).spare("space"))
    killed = run_worker(tmp_path, "v2", "--kill-at", step, *extra)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    SwapManager(tmp_path).recover()
    spare = SwapManager(tmp_path).spare("space")
    assert not spare.exists() or SwapManager.is_complete(spare)  # a spare is whole or gone
    if mode.startswith("first") and step == "building":
        assert not (tmp_path / "space").exists()  # never published: nothing to keep, nothing half-built
        assert [p for p in (tmp_path / ".docmost-syncd").iterdir() if p.name.startswith("space")] == []
        return
    version = assert_one_complete_version(tmp_path, "space", {"v1", "v2"})
    # Before the swap the old version stays (a complete _temp is dropped while <space> exists),
    # except on a first publish, where a complete _temp is all there is and is promoted. Inside
    # the fallback gap (<space> missing) the complete new build is promoted too.
    new_wins = step not in ("building", "marked_complete") or mode.startswith("first")
    assert version == ("v2" if new_wins else "v1")


# ---- a concurrent reader during hundreds of publishes ----------------------------------------


class Reader(threading.Thread):
    """Reads the whole space in a tight loop through one directory handle, like a consumer that
    opens the folder and walks it. Counts reads and every violation of the publishing contract."""

    def __init__(self, live: Path) -> None:
        super().__init__(daemon=True)
        self.live = live
        self.stop = threading.Event()
        self.progress = threading.Event()
        self.reads = 0
        self.missing = 0
        self.mixed = 0
        self.truncated = 0
        self.retired_mid_read = 0

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                fd = os.open(self.live, os.O_RDONLY | os.O_DIRECTORY)
            except FileNotFoundError:
                self.missing += 1
                continue
            try:
                self.read_tree(fd)
            finally:
                os.close(fd)

    def read_tree(self, fd: int) -> None:
        try:
            version = _read_at(fd, "VERSION").decode()
            seen = set()
            for section in sorted(n for n in os.listdir(fd) if n.startswith("section-")):
                sub = os.open(section, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
                try:
                    for name in os.listdir(sub):
                        data = _read_at(sub, name)
                        index = int(name.split("-")[1].split(".")[0])
                        if len(data) != len(file_content(version, index)):
                            self.truncated += 1
                        elif data != file_content(version, index):
                            self.mixed += 1
                        seen.add(index)
                finally:
                    os.close(sub)
        except FileNotFoundError:
            seen = set()  # a file vanished under the handle: judged below like a short listing
        if len(seen) != FILES:
            if os.fstat(fd).st_ino != self._live_inode():
                # The handle points at a retired tree that was being deleted while it was read:
                # a reader that keeps an old handle sees it shrink, never a mix. It starts over,
                # as a consumer would; a live tree that lacked files would be a violation.
                self.retired_mid_read += 1
                return
            self.truncated += 1
        self.reads += 1
        self.progress.set()

    def _live_inode(self) -> int:
        try:
            return os.stat(self.live).st_ino
        except FileNotFoundError:
            return -1


def _read_at(fd: int, name: str) -> bytes:
    file_fd = os.open(name, os.O_RDONLY, dir_fd=fd)
    try:
        chunks = []
        while chunk := os.read(file_fd, 65536):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(file_fd)


@pytest.mark.parametrize("path", ["exchange", "fallback"])
def test_concurrent_reader_never_sees_missing_mixed_or_truncated(
    tmp_path: Path, path: str, record_property: object
) -> None:
    swap = SwapManager(tmp_path, exchange_supported=False if path == "fallback" else None)
    publish_version(swap, "space", "v0")
    reader = Reader(tmp_path / "space")
    reader.start()
    publishes = 250
    gaps = []
    for number in range(1, publishes + 1):
        publish_version(swap, "space", f"v{number}")
        if swap.last_gap_seconds is not None:
            gaps.append(swap.last_gap_seconds)
        if number % 2 == 0:
            # Let the reader finish at least one more whole read before publishing on, so reads
            # keep interleaving with swaps (an event, not a sleep).
            assert reader.progress.wait(timeout=30)
            reader.progress.clear()
    reader.stop.set()
    reader.join(timeout=30)
    report = (
        f"{path}: {publishes} publishes, {reader.reads} complete reads, missing={reader.missing}, "
        f"mixed={reader.mixed}, truncated={reader.truncated}, retired_mid_read={reader.retired_mid_read}"
        + (
            f", fallback gap max={max(gaps) * 1e6:.0f} us median={sorted(gaps)[len(gaps) // 2] * 1e6:.0f} us"
            if gaps
            else ""
        )
    )
    print(report)
    assert reader.reads >= publishes // 2
    assert reader.mixed == 0
    assert reader.truncated == 0
    if path == "exchange":
        assert reader.missing == 0
    assert_one_complete_version(tmp_path, "space", {f"v{publishes}"})


# ---- the lock -------------------------------------------------------------------------------


def test_second_instance_is_refused_while_the_first_holds_the_lock(tmp_path: Path) -> None:
    state = tmp_path / ".docmost-syncd"
    with OutputLock(state):
        with pytest.raises(LockedError, match=f"pid {os.getpid()}"):
            OutputLock(state).acquire()
        other = subprocess.run(
            [sys.executable, "-m", "docmost_syncd", "recover", "--output", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert other.returncode == 1
        assert "another docmost-syncd" in other.stderr
    assert (state / "lock").exists()  # never unlinked
    OutputLock(state).acquire()


@pytest.mark.parametrize("entries", [0, 1, 1000, 2500])
def test_a_marker_written_in_pieces_is_the_json_of_the_whole(tmp_path: Path, entries: int) -> None:
    writer = StagingWriter(tmp_path / "build")
    writer.manifest = {f'pages/한글 "{n}".md': ManifestEntry(f"key{n}", "ab" * 32, n) for n in range(entries)}
    swap = SwapManager(tmp_path)
    swap.begin("space")
    swap.mark_complete("space", {"space_id": "s", "digest": "d"}, writer.manifest_json())
    written = (swap.temp("space") / MARKER).read_text(encoding="utf-8")
    files = {path: entry.to_json() for path, entry in sorted(writer.manifest.items())}
    assert written == json.dumps({"space_id": "s", "digest": "d", "files": files})
