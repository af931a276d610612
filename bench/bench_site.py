"""Benchmark: the site kit (``site/``) building what docmost-syncd publishes, at wiki size.

    python bench/bench_site.py --pages 5000     # one size (1,000 / 5,000 / 20,000 by default)
    python bench/bench_site.py --pages 1000 --perf   # with DOCUSAURUS_PERF_LOGGER=true: stage by stage

For each size: a synthetic space of N pages (bench/docmost_fake.py: a tree up to 6 levels deep with
a fifth of the pages at its root, as a real 5,000-page space had, Korean and English titles, three
short sections a page, an image in one page of ten) is published
by `docmost-syncd sync --once` (math as KaTeX, as the kit expects), the kit is copied into the work
folder (its own build and caches) and built cold; then one page is edited upstream, published
again, and the kit rebuilt with the caches of the first build (Rspack's persistent cache).

Prints: the cold build's wall and CPU seconds, the peak RSS of the build's whole process tree
(sampled from /proc every 0.2 s), the built site's size, the median and 95th-percentile size of
a page's HTML, the largest ``.js``/``.json`` file a reader may fetch, the bytes a first search
fetches (Pagefind's bundle: see ``first_search_bytes``), and the rebuild's wall seconds.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from docmost_fake import FakeDocmost, generate_tree  # noqa: E402

from tests.sitekit import KIT, NODE, install_node_modules, make_site  # noqa: E402


def tree_rss(root_pid: int) -> int:
    """Resident bytes of ``root_pid`` and every process below it."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            statm = Path(f"/proc/{entry}/statm").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
        rss[int(entry)] = int(statm.split()[1]) * os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def timed_build(site: Path, docs: Path, out: str, perf: bool) -> tuple[float, float, int, str]:
    """(wall seconds, CPU seconds, peak tree RSS bytes, output) of one `docusaurus build`."""
    assert NODE is not None
    env = {**os.environ, "DOCMOST_SYNCD_DOCS": str(docs), "NO_COLOR": "1"}
    if perf:
        env["DOCUSAURUS_PERF_LOGGER"] = "true"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    process = subprocess.Popen(
        [NODE, "node_modules/@docusaurus/core/bin/docusaurus.mjs", "build", "--out-dir", out],
        cwd=site, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.2):
            peak = max(peak, tree_rss(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    done.set()
    sampler.join()
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if process.returncode != 0:
        raise RuntimeError(f"docusaurus build failed ({process.returncode}):\n{output[-5000:]}")
    return wall, cpu, peak, output


STAGE = re.compile(r"^\[PERF\] Build > \S+ > ([^>]+?) - ([\d.]+) (ms|seconds)", re.MULTILINE)


def stages(output: str) -> str:
    """Docusaurus's own stage times (DOCUSAURUS_PERF_LOGGER) of one build, in seconds."""
    found = [(name, float(value) / (1000 if unit == "ms" else 1)) for name, value, unit in STAGE.findall(output)]
    return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in found if seconds >= 0.5)


def sync_once(python: str, config: Path) -> None:
    done = subprocess.run([python, "-m", "docmost_syncd", "sync", "--once", "--config", str(config)],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"sync failed:\n{done.stderr[-3000:]}")


def first_search_bytes(pagefind: Path) -> int:
    """What a reader's first search downloads from Pagefind's bundle, at most: the UI's script
    and style, the search library and its WebAssembly, the entry and metadata files, the index
    chunks of two words (the two largest) and the fragments of the first five results shown (the
    five largest). The files are fetched as they are stored (Pagefind writes them compressed)."""
    size = lambda paths: sum(p.stat().st_size for p in paths)  # noqa: E731
    fixed = [pagefind / name for name in ("pagefind-ui.js", "pagefind-ui.css", "pagefind.js", "pagefind-entry.json")]
    fixed += list(pagefind.glob("wasm.en.pagefind")) + list(pagefind.glob("*.pf_meta"))
    largest = lambda folder, n: sorted((folder).iterdir(), key=lambda p: p.stat().st_size)[-n:]  # noqa: E731
    return size(fixed) + size(largest(pagefind / "index", 2)) + size(largest(pagefind / "fragment", 5))


def site_figures(build: Path) -> dict[str, str]:
    pages = sorted(p.stat().st_size for p in (build / "docs").rglob("*.html"))
    assets = [p for p in build.rglob("*") if p.suffix in (".js", ".json") and p.is_file()]
    largest = max(assets, key=lambda p: p.stat().st_size)
    first_search = first_search_bytes(build / "pagefind")
    size = sum(p.stat().st_size for p in build.rglob("*") if p.is_file())
    p95 = pages[min(len(pages) - 1, int(len(pages) * 0.95))]
    return {
        "site MB": f"{size / 1e6:.0f}",
        "pages": f"{len(pages)}",
        "median page KB": f"{statistics.median(pages) / 1e3:.0f}",
        "p95 page KB": f"{p95 / 1e3:.0f}",
        "largest js/json": f"{largest.stat().st_size / 1e6:.2f} MB {largest.relative_to(build)}",
        "first search MB": f"{first_search / 1e6:.1f}",
    }


def bench(pages: int, work: Path, node_modules: Path, perf: bool) -> None:
    work.mkdir(parents=True)
    docs = work / "docs"
    fake = FakeDocmost(generate_tree(pages, root_share=0.2), big_files=0, sections=3)
    (work / "password").write_text("bench")
    with fake.serve() as url:
        config = work / "config.toml"
        config.write_text(
            f'[docmost]\nurl = "{url}"\nemail = "bench@example.com"\npassword_file = "{work / "password"}"\n'
            f'[output]\ndir = "{docs}"\nmath = "katex"\n[log]\nlevel = "warning"\n'
        )
        for path in (config, work / "password"):
            path.chmod(0o600)
        sync_once(sys.executable, config)
        site = make_site(work, KIT, node_modules)
        wall, cpu, peak, output = timed_build(site, docs, "build", perf)
        if perf:
            (work / "perf-cold.txt").write_text(output)
            print(f"{pages:>6} pages, cold build by stage: {stages(output)}", flush=True)
        cold = f"cold build {wall:.0f} s wall, {cpu:.0f} s CPU, peak RSS {peak / 1e9:.2f} GB; " + ", ".join(
            f"{name} {value}" for name, value in site_figures(site / "build").items()
        )
        # A 20,000-page run takes the better part of an hour: the cold build's figures come first.
        print(f"{pages:>6} pages, {cold}", flush=True)
        fake.edit(pages // 2)
        sync_once(sys.executable, config)
        rebuild, _cpu, rebuild_peak, output = timed_build(site, docs, "build", perf)
        if perf:
            (work / "perf-rebuild.txt").write_text(output)
            print(f"{pages:>6} pages, rebuild by stage: {stages(output)}", flush=True)
    print(f"{pages:>6} pages: {cold}; rebuild after one edit {rebuild:.0f} s (peak RSS {rebuild_peak / 1e9:.2f} GB)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, action="append", help="space size (repeatable)")
    parser.add_argument("--perf", action="store_true", help="DOCUSAURUS_PERF_LOGGER=true; logs in the work folder")
    parser.add_argument("--dir", type=Path, help="work folder (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep each size's built site")
    args = parser.parse_args()
    if NODE is None:
        sys.exit("bench_site needs Node.js (and the site kit's packages: cd site && npm ci)")
    work = args.dir or Path(tempfile.mkdtemp(prefix="docmost-syncd-site-bench-"))
    node_modules = install_node_modules(work)
    print(f"docmost-syncd site kit bench: work folder {work}, node {subprocess.check_output([NODE, '--version'], text=True).strip()}, "
          f"{os.cpu_count()} cores")  # fmt: skip
    for pages in args.pages or [1000, 5000, 20000]:
        bench(pages, work / f"n{pages}", node_modules, args.perf)
        if not args.keep:
            shutil.rmtree(work / f"n{pages}" / "site" / "build", ignore_errors=True)


if __name__ == "__main__":
    main()
