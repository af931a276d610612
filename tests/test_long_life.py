"""What a year of running brings the daemon, against the recorded Docmost 0.95.0 server: the login
token expiring mid-run, Docmost upgraded between runs, the clock stepping and DST with ``cron``,
many SIGHUP reloads. (The output's disk filling and then freeing is tests/test_disk_full.py.)"""

from __future__ import annotations

import json
import os
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from docmost_syncd.config import DocmostSettings, Settings
from docmost_syncd.daemon import runner as runner_module
from docmost_syncd.daemon.runner import JOB_ID, Daemon, make_trigger
from docmost_syncd.run import make_publisher
from tests.conftest import BASE_URL, PASSWORD, SPACES, LogCapture
from tests.daemon_process import DaemonProcess
from tests.docmost_double import FIXTURES, DocmostDouble, Reply
from tests.test_shared import published
from tests.test_shared import shares as shares  # the fixture, for the upgrade test


def in_process_daemon(tmp_path: Path, **sync: Any) -> Daemon:
    """A daemon whose runs are called here (``run_job``), as its scheduler calls them."""
    settings = Settings(
        docmost=DocmostSettings(url=BASE_URL, email="admin@example.com", password=PASSWORD),
        output={"dir": tmp_path / "docs"},
        sync={"spaces_include": SPACES, **sync},
    )
    daemon = Daemon(settings, None)
    daemon.publisher = make_publisher(settings)
    daemon.client = daemon._make_client(settings)
    return daemon


def test_a_token_that_expires_mid_run_costs_a_login_not_a_failed_run(
    routed: DocmostDouble, tmp_path: Path, logs: LogCapture
) -> None:
    daemon = in_process_daemon(tmp_path)
    daemon.run_job()
    page = routed.pages_of("eng")[0]["id"]
    routed.edit(page)
    original = routed._answer

    def answer(method: str, path: str, headers: dict[str, str], payload: dict[str, Any]) -> Reply:
        if path == "/api/pages/info" and routed.valid_tokens == {"test-session-token-0123456789"}:
            routed.valid_tokens = {"token-after-expiry"}  # Docmost's session ended mid-run
        reply = original(method, path, headers, payload)
        if path == "/api/auth/login" and reply.status == 200:
            reply.headers["set-cookie"] = "authToken=token-after-expiry; Path=/; HttpOnly"
        return reply

    routed._answer = answer  # type: ignore[method-assign]
    daemon.run_job()
    assert daemon.last_run is not None and not daemon.last_run.failed, daemon.last_run
    assert daemon.consecutive_failed_runs == 0
    assert {space.folder: space.result for space in daemon.last_run.spaces}["eng"] == "published"
    assert routed.count("/api/auth/login") == 2
    assert "auth.expired" in logs.names()
    assert "Edited upstream." in (tmp_path / "docs" / "eng").joinpath(
        published(tmp_path / "docs")[page]["path"].removeprefix("eng/")
    ).read_text(encoding="utf-8")
    daemon.client.close()  # type: ignore[union-attr]


def test_docmost_upgraded_between_runs_is_seen_by_the_next_run(
    shares: DocmostDouble,
    tmp_path: Path,
) -> None:
    """Run 1 meets a 0.90.1 server (its recorded /api/version, no labels API); Docmost is then
    upgraded to 0.95.0 under the running daemon: run 2 asks the version again and publishes
    the labels as tags, with no restart."""
    labels, version_body = shares.labels, shares.version_body
    older = FIXTURES / "docmost-0.90.1-pages" / "api" / "version.json"
    shares.labels = None
    shares.version_body = json.loads(older.read_text(encoding="utf-8"))
    daemon = in_process_daemon(tmp_path)
    daemon.settings.sync.spaces_include = []
    daemon.run_job()
    assert daemon.last_run is not None and not daemon.last_run.failed
    assert daemon.client is not None and daemon.client.server_version() == (0, 90, 1)
    assert not any(meta.get("tags") for meta in published(tmp_path / "docs").values())
    shares.labels, shares.version_body = labels, version_body  # the upgrade
    daemon.run_job()
    assert daemon.last_run is not None and not daemon.last_run.failed, daemon.last_run
    assert daemon.client.server_version() == (0, 95, 0)
    assert any(meta.get("tags") for meta in published(tmp_path / "docs").values())
    daemon.client.close()


@pytest.mark.parametrize("crontab", ["30 2 * * *", "0 * * * *", "*/20 1-3 * * *"])
def test_cron_through_both_dst_changes_fires_every_day_and_never_goes_back(crontab: str) -> None:
    """Europe/Berlin, the weekends its clocks go forward (02:00 → 03:00) and back (03:00 → 02:00),
    the trigger asked as the scheduler asks it (now = the wall clock in the zone): no day without
    a run, no fire time earlier than the one before, at most twice a local time (the hour that
    repeats) and the readiness age (two periods) always positive."""
    zone = ZoneInfo("Europe/Berlin")
    settings = Settings(output={"dir": "/nonexistent"}, sync={"cron": crontab, "timezone": "Europe/Berlin"})
    trigger = make_trigger(settings)
    for start in (datetime(2026, 3, 27, 12, tzinfo=zone), datetime(2026, 10, 23, 12, tzinfo=zone)):
        now, previous, fired = start, None, []
        while now < start + timedelta(days=4):
            fire = trigger.get_next_fire_time(previous, now)
            assert fire is not None
            assert previous is None or fire.astimezone(UTC) > previous.astimezone(UTC)
            fired.append(fire)
            previous, now = fire, (fire.astimezone(UTC) + timedelta(seconds=1)).astimezone(zone)
        days = {fire.date() for fire in fired}
        assert days >= {(start + timedelta(days=n)).date() for n in range(1, 4)}
        local = [fire.strftime("%Y-%m-%d %H:%M") for fire in fired]
        assert max(local.count(text) for text in local) <= 2


def test_readiness_survives_the_wall_clock_stepping(
    routed: DocmostDouble, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    daemon = in_process_daemon(tmp_path, interval="30m")
    daemon.run_job()
    assert daemon.report()[1] is True
    real_time = time.time
    monkeypatch.setattr(runner_module.time, "time", lambda: real_time() + 3 * 3600)  # NTP steps ahead
    assert daemon.report()[1] is True, daemon.report()[2].get("not_ready")
    daemon.client.close()  # type: ignore[union-attr]


def test_a_clock_stepped_back_restarts_the_schedule_from_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, logs: LogCapture
) -> None:
    """An interval schedule keeps its next run in wall time: the wall clock set back an hour
    would hold the next run an hour longer; the daemon notices the step and starts again."""
    from apscheduler.schedulers.background import BackgroundScheduler

    daemon = in_process_daemon(tmp_path, interval="30m")
    daemon.scheduler = BackgroundScheduler(timezone="UTC")
    daemon.scheduler.add_job(lambda: None, make_trigger(daemon.settings), id=JOB_ID)
    daemon.scheduler.start(paused=True)
    try:
        daemon._check_clock()
        assert "daemon.clock_stepped" not in logs.names()  # no step, nothing done
        job = daemon.scheduler.get_job(JOB_ID)
        job.modify(next_run_time=datetime.now(UTC) + timedelta(minutes=90))  # 30 min + the hour set back
        real_time = time.time
        monkeypatch.setattr(runner_module.time, "time", lambda: real_time() - 3600)
        daemon._check_clock()
        assert "daemon.clock_stepped" in logs.names()
        next_run = daemon.scheduler.get_job(JOB_ID).next_run_time
        assert next_run - datetime.now(UTC) <= timedelta(minutes=30, seconds=5)
    finally:
        daemon.scheduler.shutdown(wait=False)
        daemon.client.close()  # type: ignore[union-attr]


def _descriptors_and_threads(pid: int) -> tuple[int, int]:
    return len(os.listdir(f"/proc/{pid}/fd")), len(os.listdir(f"/proc/{pid}/task"))


def _settled(pid: int, before: tuple[int, int], within: float = 10.0) -> tuple[int, int]:
    """The daemon's descriptors and threads once they are back to ``before``, or as they are after
    ``within`` seconds. A run that published deletes the retired copy on a thread of its own, which
    may still be at work (a thread, the folders it walks) when the run's end is logged; what a
    leak holds never goes back."""
    deadline = time.monotonic() + within
    while True:
        now = _descriptors_and_threads(pid)
        if (now[0] <= before[0] and now[1] <= before[1]) or time.monotonic() > deadline:
            return now
        time.sleep(0.05)


def test_fifty_reloads_leave_the_daemon_as_it_was(double: DocmostDouble, tmp_path: Path) -> None:
    """SIGHUP 50 times, every other reload changing the server settings (a new client each time):
    descriptors and threads are what they were, and a run still publishes."""
    password = tmp_path / "password"
    password.write_text(PASSWORD)
    config = tmp_path / "config.toml"
    with double.serve() as url:

        def write(timeout: int) -> None:
            config.write_text(
                f'[docmost]\nurl = "{url}"\nemail = "admin@example.com"\npassword_file = "{password}"\n'
                f"timeout_seconds = {timeout}\n"
                f'[output]\ndir = "{tmp_path / "docs"}"\n[sync]\ninterval = "1d"\nspaces_include = ["eng"]\n'
                '[http]\nbind = ""\n[log]\nformat = "json"\nlevel = "info"\n'
            )

        write(30)
        daemon = DaemonProcess(config, dict(os.environ))
        try:
            daemon.wait_for("sync.finished")
            before = _descriptors_and_threads(daemon.proc.pid)
            for reload in range(50):
                write(30 + reload % 2)
                daemon.signal(signal.SIGHUP)
                daemon.wait_for("config.reloaded")
            double.edit(double.pages_of("eng")[0]["id"])
            daemon.signal(signal.SIGUSR1)
            daemon.wait_for("sync.started")
            finished = daemon.wait_for("sync.finished")
            after = _settled(daemon.proc.pid, before)
        finally:
            status = daemon.terminate()
    assert finished["published"] == 1 and finished["failed"] == 0
    # At most as many: a thread of the first run may still be on its way out when it is counted.
    assert after[1] <= before[1], f"threads: {before[1]} before 50 reloads, {after[1]} after"
    assert after[0] <= before[0], f"descriptors: {before[0]} before 50 reloads, {after[0]} after"
    assert status == 0


def test_the_page_cache_holds_what_is_published_and_stays_within_twice_its_content(
    routed: DocmostDouble, tmp_path: Path
) -> None:
    """Forty runs of edits and pages sent to the trash and back, then a run that excludes the
    two largest spaces (most rows go at once): after every run the cache's rows are exactly the
    listed pages', no write-ahead log is left, and the database file is at most twice its
    content (pages in use)."""
    import contextlib
    import sqlite3

    daemon = in_process_daemon(tmp_path)
    database = tmp_path / "docs" / ".docmost-syncd" / "cache" / "pages.sqlite"
    trashed: list[str] = []
    for run in range(41):
        pages = routed.pages_of("eng")
        if run == 40:
            daemon.settings.sync.spaces_exclude = ["bulk", "kitchen"]
        elif run % 5 == 4 and trashed:
            routed.restore(trashed)
            trashed = []
        elif run % 5 == 2:
            trashed = routed.trash(next(page["id"] for page in pages if page.get("parentPageId")))
        else:
            routed.edit(pages[run % len(pages)]["id"], "x" * 20_000)  # large enough to free pages when replaced
        daemon.run_job()
        assert daemon.last_run is not None and not daemon.last_run.failed, daemon.last_run
        assert not database.with_name("pages.sqlite-wal").exists()
        with contextlib.closing(sqlite3.connect(database)) as connection:
            cached = {row[0] for row in connection.execute("SELECT id FROM pages")}
            used, free, size = (
                connection.execute(f"PRAGMA {name}").fetchone()[0] for name in ("page_count", "freelist_count", "page_size")
            )
        listed = {page["id"] for slug in SPACES for page in routed.pages_of(slug)}
        if run == 40:
            listed -= {page["id"] for slug in ("bulk", "kitchen") for page in routed.pages_of(slug)}
        assert cached == listed
        assert database.stat().st_size <= 2 * (used - free) * size
    daemon.client.close()  # type: ignore[union-attr]
