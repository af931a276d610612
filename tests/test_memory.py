"""Memory is bounded by design: a large attachment is streamed file to file, never held whole,
and the daemon holds no more after hundreds of runs than after twenty."""

from __future__ import annotations

import collections
import gc
import json
import os
import sys
import tracemalloc
import zipfile
from pathlib import Path
from urllib.parse import quote

from docmost_syncd.cli import main
from docmost_syncd.config import DocmostSettings, Settings
from docmost_syncd.daemon.runner import Daemon
from docmost_syncd.run import make_publisher
from tests.conftest import PASSWORD, SPACES
from tests.docmost_double import DocmostDouble

ATTACHMENT_BYTES = 48 * 1024 * 1024
ATTACHMENT_ID = "01a2184c-bc5d-7529-b3a8-e2ad4108f976"


def write_export_with_large_attachment(path: Path) -> None:
    """Docmost's layout: the root page's attachment under /files/<id>/<name> (leading slash)."""
    metadata = {"version": "0.95.0", "pages": {quote("대용량 첨부.md"): {
        "pageId": "p-large", "slugId": "LargeAtt01", "icon": None, "position": "a0", "parentPath": None}}}  # fmt: skip
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("대용량 첨부.md", f"# 대용량 첨부\n\n[dump.bin](files/{ATTACHMENT_ID}/dump.bin)\n")
        with archive.open(f"/files/{ATTACHMENT_ID}/dump.bin", "w", force_zip64=True) as handle:
            block = os.urandom(1024 * 1024)  # incompressible, so the ratio check does not refuse it
            for _ in range(ATTACHMENT_BYTES // len(block)):
                handle.write(block)
        archive.writestr("docmost-metadata.json", json.dumps(metadata))


def test_large_attachment_is_streamed(tmp_path: Path) -> None:
    export = tmp_path / "big-space-export.zip"
    write_export_with_large_attachment(export)
    tracemalloc.start()
    try:
        assert main(["convert", str(export), "--output", str(tmp_path / "docs")]) == 0
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    published = tmp_path / "docs" / "big" / "_assets" / ATTACHMENT_ID / "dump.bin"
    assert published.stat().st_size == ATTACHMENT_BYTES
    assert peak < 8 * 1024 * 1024, f"peak traced memory {peak / 1024**2:.1f} MiB for a 48 MiB attachment"


def test_the_daemon_s_memory_stays_flat_run_after_run(double: DocmostDouble, tmp_path: Path) -> None:
    """300 of the daemon's runs in this process, every other one after an edit: what the
    process holds after run 300 is what it held after run 20. Counted without forcing a
    collection, as the daemon lives: cyclic garbage the collector never reaches counts too (a
    run froze its objects and never let the collector at them again: 650 objects a run)."""
    double.requests = collections.deque(maxlen=100)  # type: ignore[assignment]  # the double's own log
    pages = double.pages_of("eng")

    def held() -> tuple[int, int]:
        return len(gc.get_objects()), sys.getallocatedblocks()

    with double.serve() as url:  # real HTTP: respx would keep every call it routed
        docmost = DocmostSettings(url=url, email="admin@example.com", password=PASSWORD)
        settings = Settings(docmost=docmost, output={"dir": tmp_path / "docs"}, sync={"spaces_include": SPACES})
        daemon = Daemon(settings, None)
        daemon.publisher = make_publisher(settings)
        daemon.client = daemon._make_client(settings)
        try:
            for run in range(1, 301):
                if run % 2:
                    double.edit(pages[run % len(pages)]["id"], f"Edited before run {run}.")
                daemon.run_job()
                assert daemon.last_run is not None and not daemon.last_run.failed, daemon.last_run
                if run == 20:
                    objects_20, blocks_20 = held()
            objects_300, blocks_300 = held()
        finally:
            daemon.client.close()
            daemon.publisher.close()
    assert objects_300 - objects_20 < 3_000, f"{objects_300 - objects_20} more objects after 280 runs"
    assert blocks_300 - blocks_20 < 10_000, f"{blocks_300 - blocks_20} more memory blocks after 280 runs"
