"""A Docmost server that dies mid-run: `sync --once` (a real process) ends within seconds with
one error line naming the server and the cause, publishes nothing from a partial fetch, keeps
what it fetched in the page cache, and the next run picks up from there.

The double dies as a killed process does (tests/loopback.py ``ServerDeath``): it stops listening
and shuts every open connection. Each test prints how long the process took to exit after the
death; no assertion depends on that time."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from docmost_syncd.publish.state import StateStore
from tests.conftest import PASSWORD
from tests.docmost_double import DocmostDouble

# point → (path, requests answered before the death, requests in flight when it comes)
DEATHS = {
    "login": ("/api/auth/login", 0, 1),
    "listing": ("/api/pages/recent", 2, 1),
    "contents": ("/api/pages/info", 20, 4),
    "attachments": ("/api/files", 2, 1),
}


def write_config(tmp_path: Path, url: str, spaces: list[str], level: str = "info") -> Path:
    password = tmp_path / "password"
    password.write_text(PASSWORD)
    password.chmod(0o600)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[docmost]\nurl = "{url}"\nemail = "admin@example.com"\npassword_file = "{password}"\n'
        f'[output]\ndir = "{tmp_path / "docs"}"\n'
        f"[sync]\nspaces_include = {json.dumps(spaces)}\nconcurrency = 1\n"
        f'[log]\nformat = "json"\nlevel = "{level}"\n'
    )
    config.chmod(0o600)
    return config


def sync_once(config: Path) -> tuple[int, list[dict[str, Any]]]:
    done = subprocess.run(
        [sys.executable, "-m", "docmost_syncd", "sync", "--once", "--config", str(config)],
        capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    return done.returncode, lines


def cached_pages(output: Path) -> int:
    database = output / ".docmost-syncd" / "cache" / "pages.sqlite"
    if not database.exists():
        return 0
    with sqlite3.connect(database) as connection:
        return int(connection.execute("SELECT count(*) FROM pages").fetchone()[0])


@pytest.mark.parametrize("point", DEATHS)
def test_a_server_that_dies_ends_the_run_at_once(point: str, tmp_path: Path, double: DocmostDouble) -> None:
    spaces = ["kitchen"] if point == "attachments" else ["sec-common", "eng", "bulk", "empty", "kitchen"]
    double.die_after(*DEATHS[point])
    with double.serve() as url:
        status, lines = sync_once(write_config(tmp_path, url, spaces))
        exited = time.monotonic()
    assert double.died_at is not None, f"the run never reached the {point}"
    print(f"\n{point}: exit status {status}, {exited - double.died_at:.2f} s after the server died")
    assert status == 1
    errors = [line for line in lines if line["level"] == "error"]
    assert [line["event"] for line in errors] == ["sync.failed"], errors
    assert url in errors[0]["error"]
    assert any(cause in errors[0]["error"] for cause in ("connection refused", "disconnected", "reset"))
    # No retry was spent on a server known to be gone: each request is tried at most once more
    # than the first that found it gone (the default of 4 retries), never once per queued page.
    retries = [line for line in lines if line["event"] == "http.retry"]
    assert len(retries) <= 4 * 4, len(retries)
    output = tmp_path / "docs"
    assert sorted(entry.name for entry in output.iterdir()) == [".docmost-syncd"]
    state = StateStore.load(output / ".docmost-syncd")
    assert not any(space.published for space in state.spaces.values())
    if point == "contents":
        assert cached_pages(output) >= 20  # what was fetched before the death stays cached


def test_the_run_after_the_server_returns_fetches_only_what_is_missing(
    tmp_path: Path, double: DocmostDouble
) -> None:
    spaces = ["sec-common", "eng", "bulk", "empty", "kitchen"]
    double.die_after(*DEATHS["contents"])
    with double.serve() as url:
        config = write_config(tmp_path, url, spaces)
        assert sync_once(config)[0] == 1
    kept = cached_pages(tmp_path / "docs")
    back = DocmostDouble(password=PASSWORD)
    with back.serve() as url:
        config = write_config(tmp_path, url, spaces)
        status, lines = sync_once(config)
    assert status == 0, [line for line in lines if line["level"] == "error"]
    total = len(back.items)
    assert back.count("/api/pages/info") == total - kept
    published = [line["space"] for line in lines if line["event"] == "space.published"]
    assert sorted(published) == ["bulk", "eng", "kitchen", "sec-common"]


def test_every_line_of_a_run_carries_its_run_id_and_every_space_line_its_space(
    tmp_path: Path, double: DocmostDouble
) -> None:
    double.die_after(*DEATHS["contents"])
    with double.serve() as url:
        # At debug: a space's start is said there (at info a run that changed nothing stays short).
        _status, lines = sync_once(write_config(tmp_path, url, ["sec-common", "eng", "kitchen"], "debug"))
    start = next(i for i, line in enumerate(lines) if line["event"] == "sync.started")
    run = lines[start:]
    assert run[-1]["event"] == "sync.failed"
    assert len(run) > 5
    assert [line for line in run if not line.get("run_id")] == []
    assert {line["run_id"] for line in run} == {run[0]["run_id"]}
    about_a_space = [line for line in run if line["event"].startswith("space.")]
    assert about_a_space and all(line.get("space") for line in about_a_space)
