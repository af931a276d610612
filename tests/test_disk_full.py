"""A real full disk: the output folder on a small tmpfs, a page that gains a file larger than the
room left. The space that needs the room fails with a message naming the folder and the free
space; its published copy stays byte-identical, its staging and partial download are gone, the
other spaces publish, the state claims nothing that is not there, and once the disk has room the
next run publishes normally. Needs root (to mount); skips saying why elsewhere."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from docmost_syncd.config import DocmostSettings, Settings
from docmost_syncd.publish.state import StateStore
from tests.conftest import LogCapture
from tests.docmost_double import DocmostDouble
from tests.helpers import mounted_tmpfs, page_files, sync, tree_snapshot

DISK_MIB = 48


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with mounted_tmpfs(tmp_path / "disk", DISK_MIB) as mountpoint:
        yield mountpoint


def test_a_full_disk_fails_one_space_and_loses_nothing(
    small_disk: Path, routed: DocmostDouble, docmost_settings: DocmostSettings, logs: LogCapture
) -> None:
    output = small_disk / "docs"
    settings = Settings(
        docmost=docmost_settings,
        output={"dir": output},
        sync={"spaces_include": ["sec-common", "eng", "kitchen"], "concurrency": 1},
    )
    assert not sync(settings).failed
    before = {folder: tree_snapshot(output / folder) for folder in ("sec-common", "eng", "kitchen")}

    # A file larger than the whole disk lands on a page of eng; every space has an edit.
    big = routed.add_file("dump.bin", b"\0" * (DISK_MIB + 8) * 1024**2)
    page = routed.pages_of("eng")[0]["id"]
    node = {"type": "attachment", "attrs": {"url": f"/api/files/{big}/dump.bin", "attachmentId": big, "name": "dump.bin"}}
    routed.set_content(page, [{"type": "paragraph", "content": [{"type": "text", "text": "the dump:"}]}, node])
    for slug in ("sec-common", "kitchen"):
        routed.edit(routed.pages_of(slug)[0]["id"])

    outcome = sync(settings)
    result = {space.folder: space for space in outcome.spaces}
    assert result["eng"].result == "failed"
    assert {result["sec-common"].result, result["kitchen"].result} == {"published"}
    failed = [event for event in logs.events() if event["event"] == "space.failed"]
    assert [event["space"] for event in failed] == ["eng"]
    assert "No space left on device" in failed[0]["error"] and str(output) in failed[0]["error"]
    assert "MiB free now" in failed[0]["error"] and failed[0]["kept"] == "the published copy"
    assert tree_snapshot(output / "eng") == before["eng"]
    state_dir = output / ".docmost-syncd"
    assert [p.name for p in state_dir.iterdir() if p.name.endswith(("_temp", "_old"))] == []
    assert list((state_dir / "cache" / "partial").iterdir()) == []
    eng = StateStore.load(state_dir).spaces[result["eng"].space_id]
    assert (eng.last_result, eng.consecutive_failures) == ("failed", 1)
    assert eng.pages == len(page_files(output / "eng"))  # the state still describes the published copy

    # Room again: the next run publishes eng with its file.
    subprocess.run(["mount", "-o", f"remount,size={DISK_MIB * 4}m", str(small_disk)], check=True)
    again = sync(settings)
    assert {space.folder: space.result for space in again.spaces}["eng"] == "published"
    assert any(path.name == "dump.bin" for path in (output / "eng").rglob("*"))
