"""Benchmark: how long `docmost-syncd sync --once` takes to exit after the Docmost server dies.

    python bench/bench_server_death.py                # 5,000 pages, three positions
    python bench/bench_server_death.py --pages 20000

A first sync of a synthetic space (bench/docmost_fake.py) into an empty folder, as its own
process, against a loopback double that dies as a killed process does (stops listening, drops
every open connection) at a chosen point: during the listing, during the page contents, during
the attachments. Prints, per position, the seconds from the death to the process's exit, its
exit status and its retry lines (the client's default of 4 retries, with backoff).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sync import ENV, installed_python, write_config
from docmost_fake import FakeDocmost, generate_tree


def positions(pages: int) -> dict[str, tuple[str, int]]:
    """Where the server dies: half way through each stage of a first sync."""
    listing_requests = pages // 100 + 1
    images = pages // 10
    return {
        "listing": ("/api/pages/recent", listing_requests // 2),
        "page contents": ("/api/pages/info", pages // 2),
        "attachments": ("/api/files", images // 2),
    }


def run(pages: int, route: str, answered: int, work: Path, python: str) -> dict[str, object]:
    fake = FakeDocmost(generate_tree(pages), max(1, pages // 1000))
    fake.death = (route, answered)
    output = work / f"out-{route.strip('/').replace('/', '-')}"
    with fake.serve() as url:
        config = write_config(work, url, output)
        done = subprocess.run(
            [python, "-m", "docmost_syncd", "sync", "--once", "--config", str(config)],
            capture_output=True, text=True, env=ENV, check=False,
        )  # fmt: skip
        exited = time.monotonic()
    logs = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    failed = next((entry for entry in logs if entry.get("event") == "sync.failed"), {})
    assert fake.died_at is not None, f"the sync never reached {answered} requests of {route}"
    return {
        "death s before exit": round(exited - fake.died_at, 2),
        "exit status": done.returncode,
        "retry lines": sum(1 for entry in logs if entry.get("event") == "http.retry"),
        "error lines": sum(1 for entry in logs if entry.get("level") == "error"),
        "requests answered": sum(fake.requests.values()),
        "published": sorted(p.name for p in output.iterdir() if not p.name.startswith(".")) if output.exists() else [],
        "error": str(failed.get("error", "")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=5_000)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; {args.pages:,} pages, first sync"
    )
    with tempfile.TemporaryDirectory(prefix="docmost-syncd-bench-") as temp:
        python, how = installed_python(Path(temp))
        print(f"docmost-syncd runs in {how}")
        print("| server dies during | requests it saw | exit s after death | exit status | retry lines | error lines | published |")
        print("|---|---|---|---|---|---|---|")
        error = ""
        for name, (route, answered) in positions(args.pages).items():
            result = run(args.pages, route, answered, Path(temp), python)
            print(
                f"| {name} ({route}) | {result['requests answered']:,} | {result['death s before exit']} | "
                f"{result['exit status']} | {result['retry lines']} | {result['error lines']} | "
                f"{', '.join(result['published']) or 'nothing'} |",  # type: ignore[arg-type]
                flush=True,
            )
            error = str(result["error"])
        print(f"the error line, last position: {error}")


if __name__ == "__main__":
    main()
