"""Benchmark: `docmost-syncd convert` of a large export ZIP against `unzip -q` of the same ZIP.

    python bench/bench_convert.py                  # 5,000 pages, work folder on a tmpfs
    python bench/bench_convert.py --pages 20000 --dir /some/folder
    python bench/bench_convert.py --stages         # also where one convert's time goes

The ZIP is laid out as Docmost 0.95 exports a space (``docmost-metadata.json``, one markdown file
per page in folders of its parents, ``files/<id>/<name>`` attachments): pages up to 6 levels deep
with Korean and English titles, each with a heading, marks, MDX-hostile text, a list, a code
block and a link to another page; every tenth page shows an image, and a few carry a 5 MB file.
Both are timed on the same filesystem, into empty folders, the fastest of three runs each; the
convert runs as its own process (peak RSS from wait4). Without --dir the work folder is a tmpfs
mounted for the run (root only), so the inode quirks of the machine's disk stay out of it.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sync import ENV, installed_python
from docmost_fake import PNG, generate_tree

BIG_FILE_BYTES = 5 * 1024 * 1024
_MEASURE = (
    "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
    "sys.stderr.write(f'\\nPEAK_RSS_KB={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\\n'); "
    "sys.exit(r.returncode)"
)


def write_export(path: Path, pages: int, big_files: int) -> int:
    tree = generate_tree(pages)
    every = max(1, pages // big_files) if big_files else 0
    entry_of: dict[str, str] = {}
    for page in tree:  # parents come first in generate_tree's order
        folder = entry_of[page.parent.id].removesuffix(".md") + "/" if page.parent else ""
        entry_of[page.id] = f"{folder}{page.title.replace('/', '-')} {page.slug_id}.md"
    metadata: dict[str, object] = {"version": "0.95.0", "pages": {}}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, page in enumerate(tree):
            entry = entry_of[page.id]
            target = tree[(index * 7 + 3) % len(tree)]
            link = os.path.relpath(entry_of[target.id], os.path.dirname(entry) or ".")
            body = [
                f"# {page.title}", f"## Section {index}",
                f"Page {index} of the benchmark space. Replace `{{token}}` and &lt;value&gt;, **bold** and _italic_.",
                "- item one\n- item two", "```python\nprint({'a': 1})\n```",
                f"See [{target.title}]({quote(link)}).",
            ]  # fmt: skip
            if index % 10 == 0:
                attachment = f"01a2184d-{index >> 16:04x}-7aaa-8000-{index:012x}"
                archive.writestr(f"files/{attachment}/image_{index}.png", PNG)
                body.append(f"![image {index}](files/{attachment}/image_{index}.png)")
            if every and index % every == 1:
                attachment = f"01a2184d-{index >> 16:04x}-7bbb-8000-{index:012x}"
                # random bytes, stored: zeros would compress past the ZIP-bomb guard
                archive.writestr(f"files/{attachment}/dump_{index}.bin", random.randbytes(BIG_FILE_BYTES),
                                 compress_type=zipfile.ZIP_STORED)  # fmt: skip
                body.append(f"[dump_{index}.bin](files/{attachment}/dump_{index}.bin)")
            archive.writestr(entry, "\n\n".join(body) + "\n")
            parent = entry_of[page.parent.id] if page.parent else None
            metadata["pages"][quote(entry)] = {  # type: ignore[index]
                "pageId": page.id, "slugId": page.slug_id, "icon": None, "position": page.position,
                "parentPath": quote(parent) if parent else None,
            }  # fmt: skip
        archive.writestr("docmost-metadata.json", json.dumps(metadata))
    return len(tree)


@contextmanager
def work_folder(parent: Path | None) -> Iterator[tuple[Path, str]]:
    if parent is not None:
        with tempfile.TemporaryDirectory(prefix="docmost-syncd-bench-", dir=parent) as temp:
            yield Path(temp), f"a folder under {parent}"
        return
    temp = Path(tempfile.mkdtemp(prefix="docmost-syncd-bench-"))
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4g", "tmpfs", str(temp)], capture_output=True, check=False
    ).returncode == 0
    try:
        yield temp, "a tmpfs" if mounted else f"{temp} (not root: no tmpfs)"
    finally:
        if mounted:
            subprocess.run(["umount", str(temp)], check=False)
        shutil.rmtree(temp, ignore_errors=True)


def fastest(runs: int, command: list[str], fresh: Path) -> tuple[float, str]:
    best, stderr = float("inf"), ""
    for _ in range(runs):
        shutil.rmtree(fresh, ignore_errors=True)
        fresh.mkdir(parents=True)
        os.sync()
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=ENV, check=False)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"{command[0]} failed: {done.stderr[-2000:]}")
        if elapsed < best:
            best, stderr = elapsed, done.stderr
    return best, stderr


# (module, class or "", function, what it does): timed where convert.py and the build call them.
STAGES = (
    ("docmost_syncd.sources.archive.source", "ArchiveSource", "__init__", "the ZIP's page tree and titles"),
    ("docmost_syncd.sources.archive.source", "ArchiveSource", "records", "pages read, parsed, analysed"),
    ("docmost_syncd.sources.archive.source", "", "page_content", "  parsing (pyromark → the editor's nodes)"),
    ("docmost_syncd.sources.archive.source", "", "analyse_page", "  the renderer's analysis (facts)"),
    ("docmost_syncd.convert", "", "lay_out", "layout and link index"),
    ("docmost_syncd.convert", "", "build_space", "sync's build of the space"),
    ("docmost_syncd.build", "", "render_page", "  rendering"),
    ("docmost_syncd.build", "", "front_matter", "  front matter"),
    ("docmost_syncd.publish.writer", "StagingWriter", "write", "  writing pages"),
)


def stages(export: Path, out: Path) -> None:
    """One convert in this process, with a timer around each stage above."""
    started = time.perf_counter()
    from docmost_syncd.cli import main as cli_main

    spent: dict[str, float] = {"importing docmost-syncd": time.perf_counter() - started}
    for module, class_name, name, label in STAGES:
        owner: Any = importlib.import_module(module)
        owner = getattr(owner, class_name) if class_name else owner
        original = getattr(owner, name)

        def timed(*args: Any, _original: Any = original, _label: str = label, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                spent[_label] = spent.get(_label, 0.0) + time.perf_counter() - began

        setattr(owner, name, timed)
    began = time.perf_counter()
    if cli_main(["convert", str(export), "--output", str(out)]) != 0:
        raise SystemExit("convert failed")
    print(f"| stage (one convert in this process: {time.perf_counter() - began:.2f} s after importing) | s |")
    print("|---|---|")
    for label, seconds in spent.items():
        print(f"| {label} | {seconds:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=5_000)
    parser.add_argument("--big", type=int, default=None, help="5 MB files (default pages/1000)")
    parser.add_argument("--dir", type=Path, default=None, help="work folder's parent (default: a tmpfs)")
    parser.add_argument("--stages", action="store_true", help="also time one convert's stages in this process")
    args = parser.parse_args()
    big = args.big if args.big is not None else max(1, args.pages // 1000)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}")  # fmt: skip
    with work_folder(args.dir) as (work, where):
        python, how = installed_python(work)
        print(f"docmost-syncd runs in {how}; work folder on {where}")
        export = work / "bench-space-export.zip"
        pages = write_export(export, args.pages, big)
        unzip, _ = fastest(3, ["unzip", "-q", str(export), "-d", str(work / "unzipped")], work / "unzipped")
        command = [python, "-c", _MEASURE, python, "-m", "docmost_syncd", "convert", str(export),
                   "--output", str(work / "out")]  # fmt: skip
        convert, stderr = fastest(3, command, work / "out")
        rss = next((int(line.split("=")[1]) // 1024 for line in stderr.splitlines() if line.startswith("PEAK_RSS_KB=")), 0)
        print("| pages | 5 MB files | ZIP MB | unzip -q s | convert s | convert ÷ unzip | convert peak RSS MB |")
        print("|---|---|---|---|---|---|---|")
        print(f"| {pages:,} | {big} | {export.stat().st_size / 1024**2:.1f} | {unzip:.2f} | {convert:.2f} | "
              f"{convert / unzip:.1f} | {rss} |")  # fmt: skip
        if args.stages:
            shutil.rmtree(work / "out", ignore_errors=True)
            stages(export, work / "out")


if __name__ == "__main__":
    main()
