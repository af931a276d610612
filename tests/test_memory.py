"""Memory is bounded by design: a large attachment is streamed file to file, never held whole."""

from __future__ import annotations

import json
import os
import tracemalloc
import zipfile
from pathlib import Path
from urllib.parse import quote

from docmost_syncd.cli import main

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
