"""The daemon's parts in-process: readiness ageing, the post-sync hook's timeout and failure."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from docmost_syncd.config import Settings
from docmost_syncd.daemon.runner import Daemon, retry_delay
from docmost_syncd.publish.publisher import SpaceOutcome
from docmost_syncd.run import RunOutcome, make_publisher
from tests.conftest import LogCapture


def daemon_for(tmp_path: Path, **hooks: object) -> Daemon:
    settings = Settings(output={"dir": tmp_path / "docs"}, sync={"interval": "30m"}, hooks=hooks)
    daemon = Daemon(settings, None)
    daemon.publisher = make_publisher(settings)
    return daemon


def test_ready_only_while_every_listed_space_succeeded_recently(tmp_path: Path) -> None:
    daemon = daemon_for(tmp_path)
    assert daemon.report()[1] is False  # nothing listed yet
    daemon.last_listed = ["space-a", "space-b"]
    daemon.last_success = {"space-a": time.monotonic()}
    assert daemon.report()[1] is False  # space-b never succeeded
    daemon.last_success["space-b"] = time.monotonic() - 2 * 1800 - 60
    assert daemon.report()[1] is False  # older than twice the interval
    daemon.last_success["space-b"] = time.monotonic() - 60
    healthy, ready, body = daemon.report()
    assert healthy and ready and body["running"] is False


def test_healthz_fails_when_a_run_stops_making_progress(tmp_path: Path) -> None:
    daemon = daemon_for(tmp_path)
    daemon.running = True
    daemon.last_beat = time.monotonic() - 601
    assert daemon.report()[0] is False
    daemon.beat()
    assert daemon.report()[0] is True


def changed_run() -> RunOutcome:
    return RunOutcome(run_id="r1", spaces=[SpaceOutcome("s", "eng", "Engineering", "published", 3, 10, 0.1)])


def test_hook_timeout_is_logged_and_harmless(tmp_path: Path, logs: LogCapture) -> None:
    hang = [sys.executable, "-c", "import time; time.sleep(30)"]  # a hook that never finishes
    daemon = daemon_for(tmp_path, post_sync=hang, post_sync_timeout=1)
    daemon._post_sync_hook(changed_run())
    assert [e["timeout"] for e in logs.events() if e["event"] == "hook.timeout"] == [1.0]


def test_hook_failure_is_logged_with_its_status(tmp_path: Path, logs: LogCapture) -> None:
    marker = tmp_path / "env.txt"
    script = f"import os,sys; open({str(marker)!r},'w').write(os.environ['DOCMOST_SYNCD_CHANGED_SPACES']); sys.exit(3)"
    daemon = daemon_for(tmp_path, post_sync=[sys.executable, "-c", script])
    daemon._post_sync_hook(changed_run())
    finished = next(e for e in logs.events() if e["event"] == "hook.finished")
    assert finished["exit_status"] == 3 and finished["level"] == "error" and finished["changed"] == "eng"
    assert marker.read_text() == "eng"


def test_failing_runs_back_off_but_never_beyond_an_hour_or_a_period() -> None:
    period = 600.0
    delays = [retry_delay(failed, period) for failed in range(0, 7)]
    assert delays == [0.0, 0.0, 600.0, 1800.0, 3600.0, 3600.0, 3600.0]
    assert retry_delay(5, 7200.0) == 7200.0  # a schedule slower than an hour keeps its own pace
