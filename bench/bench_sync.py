"""Benchmark: page-by-page sync of synthetic spaces of N pages, end to end.

    python bench/bench_sync.py                 # N = 1,000 / 5,000 / 20,000
    python bench/bench_sync.py --pages 2000    # one size

For each size, against a loopback Docmost double (bench/docmost_fake.py), as its own
`docmost-syncd sync --once` process (so wall time and peak RSS, from wait4, are the real
process's): the first sync into an empty folder, a sync of the unchanged server, a sync after
one page was edited (built in the spare the first publish seeded with hard links), and a sync
after another page was edited (built in the copy the first swap retired, as every later edit
is). Every timed run starts after os.sync(). The floor is `unzip -q` of a ZIP of the very files
the first sync published, into an empty folder (the fastest of five: this disk's speed varies
between runs, and a floor is the best case): the physical cost of creating those files here.

    python bench/bench_sync.py --dir /mnt/scratch   # work (and publish) on another filesystem

The header names the filesystem the work folder is on. On ext4 without a journal (some cloud
images' root disks) every file creation skips the inodes deleted in the last one to six minutes
(the kernel's ``recently_deleted``), so file-creating figures there depend on what else deleted
files lately: measure on a journaled filesystem for figures that repeat.
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
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from docmost_fake import FakeDocmost, generate_tree

ROOT = Path(__file__).resolve().parent.parent

# A fresh parent per run, so RUSAGE_CHILDREN is the peak RSS of exactly that one sync process.
_MEASURE = (
    "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
    "sys.stderr.write(f'\\nPEAK_RSS_KB={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\\n'); "
    "sys.exit(r.returncode)"
)


# As installed: with the byte-code cache (some development shells set PYTHONDONTWRITEBYTECODE).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
WHEELS = ROOT / ".ci" / "cache" / "wheels"  # made by .ci/container-prep


def installed_python(work: Path) -> tuple[str, str]:
    """A Python with docmost-syncd installed as a user installs it: a venv holding its runtime
    dependencies only (a development environment adds packages that cost start-up time: httpcore
    imports trio, 0.23 s, when the test extra has installed it). Falls back to this Python."""
    if not (WHEELS / ".pyproject-sha256").is_file():
        return sys.executable, "this Python (no .ci/cache/wheels: run .ci/container-prep for a clean venv)"
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", "--no-index",
         "--find-links", str(WHEELS), str(ROOT)],
        check=True, env=ENV, capture_output=True,
    )  # fmt: skip
    return str(venv / "bin" / "python"), "a venv with docmost-syncd and its runtime dependencies only"


def filesystem(folder: Path) -> str:
    """The filesystem ``folder`` is on, and for ext4 whether it has a journal."""
    device = os.stat(folder).st_dev
    wanted = f"{os.major(device)}:{os.minor(device)}"
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        if fields[2] != wanted:
            continue
        kind, source = fields[fields.index("-") + 1 : fields.index("-") + 3]
        if kind == "ext4":  # the kernel's name of the device (dm-0, not /dev/mapper/...) names its journal
            name = Path(f"/sys/dev/block/{wanted}").resolve().name
            journaled = any(Path("/proc/fs/jbd2").glob(f"{name}-*"))
            kind += " with a journal" if journaled else " without a journal"
        return f"{kind} ({source} on {fields[4]})"
    return "unknown"


def run_sync(python: str, config: Path) -> tuple[float, int, list[dict[str, object]]]:
    """Wall seconds, peak RSS in MB and the JSON log lines of one `sync --once` process."""
    command = [python, "-m", "docmost_syncd", "sync", "--once", "--config", str(config)]
    os.sync()
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command], capture_output=True, text=True, check=False, env=ENV
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"sync failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    peak_kb = int(proc.stderr.rsplit("PEAK_RSS_KB=", 1)[1].split()[0])
    logs = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]
    return wall, peak_kb // 1024, logs


def unzip_floor(published: Path, work: Path, runs: int = 5) -> float:
    """The fastest wall time of `unzip -q` of the published files into an empty folder."""
    archive = work / "published.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as handle:
        for path in sorted(published.rglob("*")):
            if path.is_file():
                handle.write(path, path.relative_to(published).as_posix())
    scratch = work / "unzip"
    times = []
    for _ in range(runs):
        shutil.rmtree(scratch, ignore_errors=True)
        os.sync()
        started = time.perf_counter()
        subprocess.run(
            ["unzip", "-q", "-o", str(archive), "-d", str(scratch)], check=True, capture_output=True
        )
        times.append(time.perf_counter() - started)
    shutil.rmtree(scratch, ignore_errors=True)
    archive.unlink()
    return min(times)


def space_line(logs: list[dict[str, object]]) -> dict[str, object]:
    return next(e for e in logs if e.get("event") in ("space.published", "space.unchanged"))


def write_config(work: Path, url: str, output: Path) -> Path:
    """The config of a benchmark's `sync --once`: the double, the output, JSON logs."""
    config = work / "config.toml"
    (work / "pw").write_text("pw")
    config.write_text(
        f'[docmost]\nurl = "{url}"\nemail = "bench@example.com"\npassword_file = "{work / "pw"}"\n'
        f'[output]\ndir = "{output}"\n[log]\nformat = "json"\n[sync]\nconcurrency = 2\n'
    )
    return config


def bench(pages: int, big_files: int, work: Path, python: str) -> dict[str, object]:
    fake = FakeDocmost(generate_tree(pages), big_files)
    output = work / f"out-{pages}"
    with fake.serve() as url:
        config = write_config(work, url, output)
        first_wall, first_mb, first_logs = run_sync(python, config)
        first = space_line(first_logs)
        first_requests = dict(fake.requests)
        fake.requests.clear()
        same_wall, _same_mb, same_logs = run_sync(python, config)
        assert space_line(same_logs)["event"] == "space.unchanged"
        same_requests = dict(fake.requests)
        fake.requests.clear()
        fake.edit(pages // 2)
        edit_wall, edit_mb, edit_logs = run_sync(python, config)
        edited = space_line(edit_logs)
        edit_requests = dict(fake.requests)
        fake.requests.clear()
        fake.edit(pages // 3)
        next_wall, next_mb, next_logs = run_sync(python, config)
        edited_next = space_line(next_logs)
        next_requests = dict(fake.requests)
    floor = unzip_floor(output / "bench", work)
    files = sum(1 for p in (output / "bench").rglob("*") if p.is_file())
    result = {
        "pages": pages,
        "files": files,
        "images": sum(1 for i in range(pages) if i % 10 == 0),
        "5 MB files": len(fake.big),
        "first sync s": round(first_wall, 2),
        "its requests": sum(first_requests.values()),
        "its page requests": first_requests.get("/api/pages/info", 0),
        "build s": round(float(first["build_seconds"]), 2),  # type: ignore[arg-type]
        "peak RSS MB": first_mb,
        "unzip floor s": round(floor, 2),
        "first ÷ floor": round(first_wall / floor, 1),
        "no-change s": round(same_wall, 2),
        "its requests ": sum(same_requests.values()),
        "its page requests ": same_requests.get("/api/pages/info", 0),
        "first edit s": round(edit_wall, 2),
        "its page requests  ": edit_requests.get("/api/pages/info", 0),
        "files rewritten": edited["files_written"],
        "files linked": edited["files_linked"],
        "next edit s": round(next_wall, 2),
        "its requests   ": sum(next_requests.values()),
        "its page requests   ": next_requests.get("/api/pages/info", 0),
        "files rewritten ": edited_next["files_written"],
        "files kept": edited_next["files_kept"],
        "edit peak RSS MB": max(edit_mb, next_mb),
    }
    shutil.rmtree(output, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, action="append", help="space size (repeatable)")
    parser.add_argument("--big", type=int, default=None, help="5 MB files per space (default N/1000)")
    parser.add_argument(
        "--dir", type=Path, default=None, help="work folder's parent (default: the system's temp)"
    )
    args = parser.parse_args()
    sizes = args.pages or [1_000, 5_000, 20_000]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )
    header_printed = False
    with tempfile.TemporaryDirectory(prefix="docmost-syncd-bench-", dir=args.dir) as temp:
        python, how = installed_python(Path(temp))
        print(f"docmost-syncd runs in {how}; work folder on {filesystem(Path(temp))}")
        subprocess.run([python, "-m", "compileall", "-q", str(ROOT / "docmost_syncd")], check=True, env=ENV)
        for pages in sizes:
            big = args.big if args.big is not None else max(1, pages // 1000)
            result = bench(pages, big, Path(temp), python)
            if not header_printed:
                print("| " + " | ".join(k.strip() for k in result) + " |")
                print("|" + "---|" * len(result))
                header_printed = True
            print(
                "| " + " | ".join(f"{v:,}" if isinstance(v, int) else str(v) for v in result.values()) + " |",
                flush=True,
            )


if __name__ == "__main__":
    main()
