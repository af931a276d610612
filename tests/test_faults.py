"""Every fault ends in one clear line and loses nothing: file-system faults injected at every
operation of a run, and each fault a user met as a traceback, one by one."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import respx

from docmost_syncd.cli import main
from tests.conftest import BASE_URL, PASSWORD
from tests.docmost_double import DocmostDouble
from tests.faults import failing
from tests.helpers import mounted_tmpfs, tree_contents

ERRNOS = (errno.EROFS, errno.EACCES, errno.ENOSPC, errno.EIO)
EXAMPLE = Path(__file__).parent.parent / "examples" / "sec-common-space-export.zip"


def write_config(folder: Path, url: str, spaces: list[str], **sections: str) -> Path:
    """A config file for `sync --once`: one space job and one request at a time, so the k-th
    file operation is the same operation in every run."""
    password = folder / "password"
    password.write_text(PASSWORD)
    config = folder / "config.toml"
    config.write_text(
        f'[docmost]\nurl = "{url}"\nemail = "admin@example.com"\npassword_file = "{password}"\n'
        f"max_parallel_requests = 1\n"
        f'[output]\ndir = "{folder / "docs"}"\n'
        f"[sync]\nspaces_include = {json.dumps(spaces)}\nconcurrency = 1\n"
        '[log]\nformat = "json"\nlevel = "info"\n' + "".join(sections.values())
    )
    for path in (password, config):
        path.chmod(0o600)
    return config


def error_lines(stderr: str) -> list[str]:
    """The lines that report an error: JSON log lines at level error, and the CLI's own lines."""
    found = []
    for line in stderr.splitlines():
        if line.startswith("{"):
            if json.loads(line).get("level") == "error":
                found.append(line)
        elif line.startswith("docmost-syncd"):
            found.append(line)
    return found


def staging(docs: Path) -> list[str]:
    return sorted(p.name for p in (docs / ".docmost-syncd").iterdir() if p.name.endswith(("_temp", "_old")))


def restore(snapshot: Path, docs: Path) -> None:
    shutil.rmtree(docs, ignore_errors=True)
    subprocess.run(["cp", "-a", str(snapshot), str(docs)], check=True)  # hard links kept, as published


@pytest.fixture
def kitchen(tmp_path: Path) -> Iterator[tuple[DocmostDouble, Path]]:
    double = DocmostDouble(password=PASSWORD)
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        router.route().mock(side_effect=double.respx_side_effect)
        yield double, write_config(tmp_path, BASE_URL, ["kitchen"])


def test_a_fault_at_any_file_operation_of_a_run_loses_nothing(
    kitchen: tuple[DocmostDouble, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Kitchen Sink published; then a page is edited and another trashed, and `sync --once` runs
    with its k-th file operation failing, for every k of that run and each of EROFS, EACCES,
    ENOSPC and EIO. Each time: the published space is exactly the copy before the run or the
    one a clean run publishes (never a mix), the exit is 1 with one error line (0 and the clean
    copy where the fault hit something the run can do without), and the next run without the
    fault publishes what a clean run does and leaves no staging behind."""
    double, config = kitchen
    docs, snapshot = tmp_path / "docs", tmp_path / "snapshot"
    sync = ["sync", "--once", "--config", str(config)]
    assert main(sync) == 0
    before = tree_contents(docs / "kitchen")
    pages = double.pages_of("kitchen")
    double.edit(pages[0]["id"])
    double.trash(next(page["id"] for page in pages if page.get("parentPageId")))
    subprocess.run(["cp", "-a", str(docs), str(snapshot)], check=True)
    with failing(None) as counted:
        assert main(sync) == 0
    clean = tree_contents(docs / "kitchen")
    assert clean != before
    operations = counted.count
    capsys.readouterr()
    injected, exits = 0, {0: 0, 1: 0}
    for code in ERRNOS:
        for k in range(1, operations + 1):
            restore(snapshot, docs)
            with failing(k, code) as injector:
                status = main(sync)
            what = f"{errno.errorcode[code]} at operation {k} ({injector.failed})"
            assert injector.failed is not None, what
            injected += 1
            exits[status] = exits.get(status, 0) + 1
            published = tree_contents(docs / "kitchen")
            errors = error_lines(capsys.readouterr().err)
            assert published in (before, clean), f"{what}: the published space is a mix"
            # A failed build removes its staging: only a fault in that removal leaves it (for start-up recovery).
            if staging(docs):
                assert injector.failed.startswith("os.rename"), f"{what}: {staging(docs)} left behind"
            if status == 0:
                assert published == clean and errors == [], f"{what}: exit 0 but {errors}"
            else:
                assert status == 1 and len(errors) == 1, f"{what}: exit {status}, error lines {errors}"
            assert main(sync) == 0, f"{what}: the next run failed: {capsys.readouterr().err[-2000:]}"
            capsys.readouterr()
            assert tree_contents(docs / "kitchen") == clean, f"{what}: the next run published something else"
            assert staging(docs) == [], f"{what}: {staging(docs)} left behind by the next run"
    print(f"{injected} faults injected over {operations} operations; exit 1: {exits[1]}, exit 0: {exits[0]}")
    assert injected == len(ERRNOS) * operations
    assert exits[1] > exits[0]  # most operations of a run are ones it cannot do without


# ---- the faults users met as tracebacks -------------------------------------------------------


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "docmost_syncd", *args], capture_output=True, text=True, timeout=300,
        stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})}, cwd=cwd,
    )  # fmt: skip


def no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stderr and "Error:" not in done.stderr.replace("error", ""), done.stderr


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A folder on a read-only filesystem (a tmpfs remounted read-only)."""
    with mounted_tmpfs(tmp_path / "ro", 4) as mountpoint:
        (mountpoint / "docs").mkdir()
        subprocess.run(["mount", "-o", "remount,ro", str(mountpoint)], check=True)
        yield mountpoint / "docs"


@pytest.mark.parametrize("command", ["sync", "run", "convert", "demo", "recover"])
def test_a_read_only_output_folder_is_one_line(
    command: str, read_only: Path, tmp_path: Path, double: DocmostDouble
) -> None:
    with double.serve() as url:
        config = write_config(tmp_path, url, ["eng"])
        config.write_text(config.read_text().replace(f'dir = "{tmp_path / "docs"}"', f'dir = "{read_only}"'))
        args = {
            "sync": ["sync", "--once", "--config", str(config)],
            "run": ["run", "--config", str(config)],
            "convert": ["convert", str(EXAMPLE), "--output", str(read_only)],
            "demo": ["demo", "--output", str(read_only)],
            "recover": ["recover", "--output", str(read_only)],
        }[command]
        done = run_cli(*args)
    no_traceback(done)
    assert done.returncode == 1, done.stderr
    errors = error_lines(done.stderr)
    assert len(errors) == 1, done.stderr
    assert f"{read_only}/.docmost-syncd: Read-only file system (EROFS)" in errors[0]
    assert "nothing published was changed" in errors[0]
    assert "synced" not in done.stdout  # the demo says so only when it synced
    assert os.listdir(read_only) == []


def test_an_output_dir_that_is_a_file_is_a_configuration_error(tmp_path: Path, double: DocmostDouble) -> None:
    (tmp_path / "docs").write_text("not a folder")
    with double.serve() as url:
        done = run_cli("sync", "--once", "--config", str(write_config(tmp_path, url, ["eng"])))
    no_traceback(done)
    assert done.returncode == 78
    assert f"output.dir: '{tmp_path / 'docs'}' is invalid: {tmp_path / 'docs'} is a file, not a folder" in done.stderr
    assert (tmp_path / "docs").read_text() == "not a folder"
    done = run_cli("convert", str(EXAMPLE), "--output", str(tmp_path / "docs"))
    assert done.returncode == 1 and error_lines(done.stderr) == [
        f"docmost-syncd convert: --output {tmp_path / 'docs'}: a file, not a folder; nothing published was changed"
    ]


def test_an_unwritable_output_is_one_line_naming_it(
    kitchen: tuple[DocmostDouble, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Permission refused on the output folder's lock (as for a user who may not write there)."""
    _double, config = kitchen
    with failing(1, errno.EACCES) as injector:
        status = main(["sync", "--once", "--config", str(config)])
    assert injector.failed is not None and injector.failed.startswith("os.mkdir")
    assert status == 1
    assert error_lines(capsys.readouterr().err) == [
        f"docmost-syncd sync: {tmp_path / 'docs'}: Permission denied (EACCES); nothing published was changed"
    ]


def corrupt_member(export: Path, target: Path) -> str:
    """``export`` copied with one page's compressed bytes damaged; returns that page's name."""
    with zipfile.ZipFile(export) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith(".md") and i.compress_size > 200)
    data = bytearray(export.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for offset in range(start + 20, start + 60):
        data[offset] ^= 0x5A
    target.write_bytes(bytes(data))
    return info.filename


def test_a_corrupt_zip_member_is_one_line_and_keeps_the_published_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = tmp_path / "docs"
    assert main(["convert", str(EXAMPLE), "--output", str(docs)]) == 0
    published = tree_contents(docs / "sec-common")
    damaged = tmp_path / "sec-common-space-export.zip"
    member = corrupt_member(EXAMPLE, damaged)
    capsys.readouterr()
    assert main(["convert", str(damaged), "--output", str(docs)]) == 1
    errors = error_lines(capsys.readouterr().err)
    assert len(errors) == 1
    line = json.loads(errors[0])
    assert line["event"] == "space.failed" and line["kept"] == "the published copy"
    assert f"sec-common-space-export.zip: entry {member!r} is corrupt" in line["error"]
    assert tree_contents(docs / "sec-common") == published


def test_a_full_page_cache_fails_the_run_in_one_line(
    kitchen: tuple[DocmostDouble, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The disk fills while the page cache writes (SQLite: "database or disk is full") and
    then refuses recording the failure too (ENOSPC on the state file)."""
    _double, config = kitchen

    def every_write_fails(injector: Any) -> None:
        real = injector.check

        def check(operation: str, target: Any = None) -> None:
            if operation.startswith("sqlite execute") and target == "INSERT":
                injector.fail_at = injector.count + 1
            if injector.failed is not None and operation in ("open", "write", "os.open"):
                injector.fail_at = injector.count + 1
            real(operation, target)

        injector.check = check

    with failing(None, errno.ENOSPC) as injector:
        every_write_fails(injector)
        status = main(["sync", "--once", "--config", str(config)])
    assert status == 1
    errors = error_lines(capsys.readouterr().err)
    assert len(errors) == 1, errors
    line = json.loads(errors[0])
    assert "database or disk is full" in line["error"] and "pages.sqlite" in line["error"]
    assert not (tmp_path / "docs" / "kitchen").exists()


def test_the_demo_ignores_the_environment_and_a_second_demo_changes_nothing(tmp_path: Path) -> None:
    env = {"DOCMOST_SYNCD_DOCMOST__PASSWORD": "a stray secret", "DOCMOST_SYNCD_SYNC__CONCURRENCY": "x"}
    first = run_cli("demo", "--output", str(tmp_path / "docs"), env=env)
    assert first.returncode == 0, first.stderr
    assert "docmost-syncd synced 38 pages" in first.stdout
    second = run_cli("demo", "--output", str(tmp_path / "docs"), env=env)
    finished = [json.loads(line) for line in second.stderr.splitlines() if '"sync.finished"' in line]
    assert finished and finished[-1]["published"] == 0 and finished[-1]["unchanged"] == 2
    assert not [p for p in (tmp_path / "docs").rglob("*.md*") if "custom_edit_url" in p.read_text(encoding="utf-8")]


def test_the_readme_s_demo_convert_demo_keeps_every_space(tmp_path: Path) -> None:
    """The README's commands into one folder: the demo's spaces, the converted export beside
    them under the next free name, a second demo that prunes nothing, `status` naming each."""
    docs = tmp_path / "site-docs"
    assert run_cli("demo", "--output", str(docs)).returncode == 0
    converted = run_cli("convert", str(EXAMPLE), "--output", str(docs), "--math", "katex")
    assert converted.returncode == 0, converted.stderr
    again = run_cli("demo", "--output", str(docs))
    assert again.returncode == 0 and "space.pruned" not in again.stderr
    assert sorted(p.name for p in docs.iterdir() if not p.name.startswith(".")) == [
        "kitchen", "sec-common", "sec-common-2",
    ]  # fmt: skip
    title = (docs / "sec-common-2" / "_category_.json").read_text(encoding="utf-8")
    assert "sec-common" in title  # the export's own space, not the demo's
    status = run_cli("status", "--output", str(docs), "--json")
    rows = {row["space"]: row for row in json.loads(status.stdout)["spaces"]}
    assert sorted(rows) == ["kitchen", "sec-common", "sec-common-2"]
    assert {row["result"] for row in rows.values()} <= {"published", "unchanged"}
    assert rows["sec-common-2"]["pages"] == 25


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EIO])
def test_a_fault_in_a_daemon_run_is_a_failed_run_and_the_next_one_publishes(
    routed: DocmostDouble, tmp_path: Path, code: int
) -> None:
    """The daemon's own run_job, as its scheduler calls it: the first file operation of the run
    fails. The process lives on: the run is failed, /readyz says why, /metrics counts it, and
    the next run publishes."""
    from tests.test_long_life import in_process_daemon

    daemon = in_process_daemon(tmp_path, interval="30m")
    with failing(1, code) as injector:
        daemon.run_job()
    assert injector.failed is not None
    assert daemon.last_run is not None and daemon.last_run.failed
    _healthy, ready, body = daemon.report()
    reasons = " ".join(body.get("not_ready", [])) + json.dumps(body["spaces"])
    assert not ready and os.strerror(code) in reasons, body
    failed_runs = daemon.metrics.registry.get_sample_value("docmost_syncd_runs_total", {"result": "failed"})
    assert failed_runs == 1.0
    daemon.run_job()
    assert not daemon.last_run.failed, daemon.last_run
    assert daemon.report()[1] is True
    assert daemon.metrics.registry.get_sample_value("docmost_syncd_runs_total", {"result": "ok"}) == 1.0
    daemon.client.close()  # type: ignore[union-attr]


def test_a_two_megabyte_disk_that_the_page_cache_fills_is_one_line(tmp_path: Path, double: DocmostDouble) -> None:
    """A real 2 MiB tmpfs as the output's disk: the bulk space's 231 pages fill it while the
    page cache stores them (or while the build writes them). One error line per space that
    could not be built, each naming the disk's cause; no traceback; exit 1; no staging left."""
    with mounted_tmpfs(tmp_path / "disk", 2) as disk, double.serve() as url:
        config = write_config(tmp_path, url, ["bulk", "kitchen", "eng"])
        config.write_text(config.read_text().replace(f'dir = "{tmp_path / "docs"}"', f'dir = "{disk / "docs"}"'))
        done = run_cli("sync", "--once", "--config", str(config))
        no_traceback(done)
        assert done.returncode == 1, done.stderr
        errors = [json.loads(line) for line in error_lines(done.stderr)]
        assert errors and all(
            "No space left on device" in line["error"] or "database or disk is full" in line["error"] for line in errors
        ), errors
        assert {line["event"] for line in errors} <= {"space.failed", "sync.failed"}
        assert staging(disk / "docs") == []
