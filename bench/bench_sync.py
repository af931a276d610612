"""Benchmark: full sync, no-change re-sync and the unzip floor for synthetic spaces of N pages.

    python bench/bench_sync.py                 # N = 1,000 / 5,000 / 20,000
    python bench/bench_sync.py --pages 2000    # one size

Each sync runs `docmost-syncd sync --once` as its own process against a loopback Docmost double
(bench/docmost_fake.py), so wall time and peak RSS (from wait4) are the real process's. The unzip
floor is `unzip -q` of the same ZIP into a scratch folder: the physical cost of writing those files.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from docmost_fake import FakeDocmost, generate_tree, write_export

# A fresh parent per run, so RUSAGE_CHILDREN is the peak RSS of exactly that one sync process.
_MEASURE = (
    "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
    "sys.stderr.write(f'\\nPEAK_RSS_KB={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\\n'); "
    "sys.exit(r.returncode)"
)


def run_sync(config: Path) -> tuple[float, int, list[dict[str, object]]]:
    """Wall seconds, peak RSS in MB and the JSON log lines of one `sync --once` process."""
    command = [sys.executable, "-m", "docmost_syncd", "sync", "--once", "--config", str(config)]
    os.sync()
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command], capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"sync failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    peak_kb = int(proc.stderr.rsplit("PEAK_RSS_KB=", 1)[1].split()[0])
    logs = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]
    return wall, peak_kb // 1024, logs


def unzip_floor(export: Path, scratch: Path, runs: int = 3) -> float:
    """Median wall time of `unzip -q` into an empty folder, each run after flushing dirty pages
    (os.sync), as every timed sync is, so writeback left by earlier work is charged to nobody."""
    times = []
    for _ in range(runs):
        shutil.rmtree(scratch, ignore_errors=True)
        os.sync()
        started = time.perf_counter()
        done = subprocess.run(
            ["unzip", "-q", "-o", str(export), "-d", str(scratch)], check=False, capture_output=True
        )
        if done.returncode > 1:  # 1 is unzip's warning that it stripped Docmost's leading-slash names
            raise SystemExit(f"unzip failed: {done.stderr.decode()[-500:]}")
        times.append(time.perf_counter() - started)
    shutil.rmtree(scratch, ignore_errors=True)
    return sorted(times)[len(times) // 2]


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def bench(pages: int, big_attachments: int, work: Path) -> dict[str, object]:
    roots = generate_tree(pages)
    export = work / f"export-{pages}.zip"
    counts = write_export(roots, export, big_attachments)
    fake = FakeDocmost(roots, export)
    unzip_seconds = unzip_floor(export, work / "unzip")
    output = work / f"out-{pages}"
    with fake.serve() as url:
        config = work / "config.toml"
        (work / "pw").write_text("pw")
        config.write_text(
            f'[docmost]\nurl = "{url}"\nemail = "bench@example.com"\npassword_file = "{work / "pw"}"\n'
            f'[output]\ndir = "{output}"\n[log]\nformat = "json"\n[sync]\nconcurrency = 2\n'
        )
        wall, peak_mb, logs = run_sync(config)
        published = next(e for e in logs if e.get("event") == "space.published")
        requests_before = sum(fake.requests.values())
        exports_before = fake.requests["/api/spaces/export"]
        resync_wall, resync_mb, resync_logs = run_sync(config)
        resync_requests = sum(fake.requests.values()) - requests_before
        resync_exports = fake.requests["/api/spaces/export"] - exports_before
        assert any(e.get("event") == "space.unchanged" for e in resync_logs)
    build_seconds = float(published["build_seconds"])  # type: ignore[arg-type]
    result = {
        "pages": counts["pages"],
        "images": counts.get("images", 0),
        "big_attachments": counts.get("big", 0),
        "zip_mb": round(counts["bytes"] / 1024**2, 1),
        "full_sync_s": round(wall, 2),
        "build_s": round(build_seconds, 2),
        "pages_per_s": round(counts["pages"] / build_seconds),
        "peak_rss_mb": peak_mb,
        "written_mb": round(folder_bytes(output / "bench") / 1024**2, 1),
        "unzip_floor_s": round(unzip_seconds, 2),
        "full_vs_floor": round(wall / unzip_seconds, 1),
        "resync_s": round(resync_wall, 2),
        "resync_requests": resync_requests,
        "resync_exports": resync_exports,
        "resync_rss_mb": resync_mb,
    }
    shutil.rmtree(output, ignore_errors=True)
    export.unlink()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, action="append", help="space size (repeatable)")
    parser.add_argument("--big", type=int, default=None, help="5 MB attachments per space (default N/1000)")
    args = parser.parse_args()
    sizes = args.pages or [1_000, 5_000, 20_000]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}")  # fmt: skip
    columns = ["pages", "images", "big_attachments", "zip_mb", "full_sync_s", "build_s", "pages_per_s",
               "peak_rss_mb", "written_mb", "unzip_floor_s", "full_vs_floor", "resync_s", "resync_requests",
               "resync_exports", "resync_rss_mb"]  # fmt: skip
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    with tempfile.TemporaryDirectory(prefix="docmost-syncd-bench-") as temp:
        for pages in sizes:
            big = args.big if args.big is not None else max(1, pages // 1000)
            result = bench(pages, big, Path(temp))
            print("| " + " | ".join(str(result[c]) for c in columns) + " |", flush=True)


if __name__ == "__main__":
    main()
