"""Benchmark: the daemon left running — does anything it holds grow with the number of runs?

    python bench/bench_soak.py                   # 1,000 runs
    python bench/bench_soak.py --runs 200        # a shorter soak
    python bench/bench_soak.py --runs 60 --interval 10   # runs on the daemon's own schedule

One `docmost-syncd run` process against the recorded Docmost 0.95.0 server (tests/docmost_double.py:
every recorded space, about 300 pages, served on loopback), its runs started by SIGUSR1 one after
another (each waits for the last run's ``sync.finished``), or with ``--interval`` by the daemon's
own schedule (``sync.interval``, 10 s at the least). Between runs the wiki changes as a
team changes it: most runs find nothing changed; every 4th follows an edit, every 10th a rename,
every 25th a move to another parent, every 50th a page sent to the trash (restored 5 runs later).

Prints, at runs 20, 100, 500 and 1,000: the daemon's RSS (VmRSS), open descriptors, threads, the
bytes the state folder adds on disk beside the published spaces (each inode counted once, as
``du`` does: a spare's unchanged files are the published ones), the page cache's size, the
published spaces' size, and the log lines of the last run that changed nothing.
"""

from __future__ import annotations

import argparse
import collections
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from docmost_syncd.publish.state import disk_bytes  # noqa: E402
from tests.daemon_process import DaemonProcess  # noqa: E402
from tests.docmost_double import DocmostDouble  # noqa: E402

PASSWORD = "soak-password"
CHECKPOINTS = (20, 100, 500, 1000)


def proc_figures(pid: int) -> tuple[float, int, int]:
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    return rss_kb / 1024, len(os.listdir(f"/proc/{pid}/fd")), len(os.listdir(f"/proc/{pid}/task"))


def change_the_wiki(double: DocmostDouble, run: int, trashed: dict[int, list[str]]) -> str:
    """What a team did before run ``run``: the kind of change, or "none"."""
    pages = [page for slug in ("eng", "sec-common", "kitchen") for page in double.pages_of(slug)]
    page = pages[run % len(pages)]
    if run in trashed:
        double.restore(trashed.pop(run))
        return "restore"
    if run % 50 == 0 and page.get("parentPageId"):
        trashed[run + 5] = double.trash(page["id"])
        return "trash"
    if run % 25 == 0:
        siblings = [p for p in double.pages_of("eng") if p["id"] != page["id"] and not p.get("parentPageId")]
        if page["spaceId"] == siblings[0]["spaceId"]:
            double.move(page["id"], siblings[run % len(siblings)]["id"] if run % 2 else None)
            return "move"
    if run % 10 == 0:
        double.rename(page["id"], f"{(page['title'] or 'Untitled').split(' (')[0]} ({run})")
        return "rename"
    if run % 4 == 0:
        double.edit(page["id"], f"Edited before run {run}.")
        return "edit"
    return "none"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--interval", type=int, help="seconds: runs on the schedule instead of SIGUSR1")
    args = parser.parse_args()
    double = DocmostDouble(password=PASSWORD)
    double.requests = collections.deque(maxlen=1000)  # type: ignore[assignment]  # the double's own log, bounded
    work = Path(tempfile.mkdtemp(prefix="docmost-syncd-soak-"))
    output = work / "docs"
    (work / "password").write_text(PASSWORD)
    how = f"every {args.interval} s on the schedule" if args.interval else "started by SIGUSR1"
    print(f"docmost-syncd soak: {args.runs} runs {how}, work folder {work}")
    print(f"{'run':>5} {'RSS MiB':>8} {'fds':>4} {'threads':>7} {'state KiB':>9} {'cache KiB':>9} "
          f"{'published KiB':>13} {'lines/no-change run':>19}")  # fmt: skip
    trashed: dict[int, list[str]] = {}
    with double.serve() as url:
        config = work / "config.toml"
        config.write_text(
            f'[docmost]\nurl = "{url}"\nemail = "admin@example.com"\npassword_file = "{work / "password"}"\n'
            f'[output]\ndir = "{output}"\n[sync]\ninterval = "{args.interval or 86400}s"\nrun_on_start = true\n'
            '[http]\nbind = ""\n[log]\nformat = "json"\nlevel = "info"\n'
        )
        daemon = DaemonProcess(config, dict(os.environ))
        started = time.monotonic()
        no_change_lines = 0
        try:
            for run in range(1, args.runs + 1):
                kind = "none" if run == 1 else change_the_wiki(double, run, trashed)
                if run > 1 and not args.interval:
                    daemon.signal(signal.SIGUSR1)
                first = len(daemon.seen)
                daemon.wait_for("sync.started")
                finished = daemon.wait_for("sync.finished")
                if kind == "none" and finished.get("published") == 0:
                    no_change_lines = len(daemon.seen) - first
                del daemon.seen[:-100]  # the bench keeps what it reads bounded too
                if run in CHECKPOINTS or run == args.runs:
                    rss, fds, threads = proc_figures(daemon.proc.pid)
                    state = output / ".docmost-syncd"
                    published = disk_bytes(output, skip=state.name)
                    beside = disk_bytes(output) - published  # what the state folder adds on disk
                    print(
                        f"{run:>5} {rss:>8.1f} {fds:>4} {threads:>7} {beside // 1024:>9} "
                        f"{disk_bytes(state / 'cache') // 1024:>9} {published // 1024:>13} {no_change_lines:>19}",
                        flush=True,
                    )  # fmt: skip
        finally:
            status = daemon.terminate()
        print(f"{args.runs} runs in {time.monotonic() - started:.0f} s; the daemon exited {status}")


if __name__ == "__main__":
    main()
