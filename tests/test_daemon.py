"""`docmost-syncd run` as a real process against a loopback Docmost double built from the fixtures:
schedule, publish, readiness, metrics, hooks, signals, sd_notify and crash recovery."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import PASSWORD
from tests.daemon_process import EVENT_TIMEOUT, DaemonProcess, free_port, hang_page_requests, leftovers
from tests.docmost_double import DocmostDouble, Reply, published_page_count


class NotifySocket:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(EVENT_TIMEOUT)

    def wait_for(self, message: str) -> list[str]:
        received = []
        while True:
            data = self.sock.recv(4096).decode()
            received.append(data)
            if message in data.split("\n"):
                return received


@pytest.fixture
def served(double: DocmostDouble) -> Iterator[tuple[DocmostDouble, str]]:
    with double.serve() as url:
        yield double, url


def write_config(tmp_path: Path, url: str, port: int, **sync: Any) -> Path:
    password = tmp_path / "password"
    password.write_text(PASSWORD)
    password.chmod(0o600)
    hook_out = tmp_path / "hook.txt"
    hook = [
        sys.executable,
        "-c",
        f"import os; open({str(hook_out)!r}, 'a').write(os.environ['DOCMOST_SYNCD_CHANGED_SPACES'] + '\\n')",
    ]
    sync_lines = "".join(f"{key} = {json.dumps(value)}\n" for key, value in sync.items())
    config = tmp_path / "config.toml"
    config.write_text(
        f'[docmost]\nurl = "{url}"\nemail = "admin@example.com"\npassword_file = "{password}"\n'
        f'[output]\ndir = "{tmp_path / "docs"}"\n'
        f'[sync]\ninterval = "1h"\nspaces_include = ["sec-common", "eng", "bulk", "empty"]\n'
        f'shutdown_deadline = "3s"\n{sync_lines}'
        f'[http]\nbind = "127.0.0.1:{port}"\n[log]\nformat = "json"\nlevel = "info"\n'
        f"[hooks]\npost_sync = {json.dumps(hook)}\n"
    )
    config.chmod(0o600)
    return config


def daemon_env(tmp_path: Path, notify_path: Path | None = None) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DOCMOST_SYNCD_", "NOTIFY_", "WATCHDOG_"))
    }
    if notify_path is not None:
        env["NOTIFY_SOCKET"] = str(notify_path)
        env["WATCHDOG_USEC"] = "1000000"
    return env


def test_daemon_publishes_reports_and_stops_cleanly(
    served: tuple[DocmostDouble, str], tmp_path: Path
) -> None:
    double, url = served
    port = free_port()
    notify_socket = NotifySocket(tmp_path / "notify.sock")
    daemon = DaemonProcess(write_config(tmp_path, url, port), daemon_env(tmp_path, notify_socket.path))
    try:
        first = daemon.wait_for("sync.finished")
        assert (first["published"], first["empty"], first["failed"]) == (3, 1, 0)
        hook = daemon.wait_for("hook.finished")
        assert hook["exit_status"] == 0 and set(hook["changed"].split()) == {"bulk", "eng", "sec-common"}
        received = notify_socket.wait_for("READY=1")
        received += notify_socket.wait_for("WATCHDOG=1")
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10)
        assert ready.status_code == 200
        assert ready.json()["spaces"]["eng"]["pages"] == published_page_count(double, "eng")
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        assert health.status_code == 200
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        assert 'docmost_syncd_runs_total{result="ok"} 1.0' in metrics
        assert 'docmost_syncd_space_runs_total{result="published",space="bulk"} 1.0' in metrics
        pages = sum(len(double.pages_of(slug)) for slug in ("sec-common", "eng", "bulk"))
        assert (
            f'docmost_syncd_http_requests_total{{endpoint="/api/pages/info",status="200"}} {pages}.0'
            in metrics
        )
        assert "/api/spaces/export" not in metrics
        # What an operator alerts on for growth: the process's memory, the state folder's size.
        figures = {
            line.split(" ")[0]: float(line.split(" ")[1]) for line in metrics.splitlines() if line[:1] not in ("#", "")
        }
        assert figures["process_resident_memory_bytes"] > 10 * 1024**2
        assert 0 < figures["docmost_syncd_cache_bytes"] <= figures["docmost_syncd_state_bytes"]
        assert set((tmp_path / "hook.txt").read_text().split()) == {"bulk", "eng", "sec-common"}

        # A content change upstream is published by the next run; nothing else is swapped.
        inode = (tmp_path / "docs" / "sec-common").stat().st_ino
        double.edit(double.pages_of("eng")[0]["id"])
        daemon.signal(signal.SIGUSR1)
        second = daemon.wait_for("sync.finished")
        assert (second["published"], second["unchanged"]) == (1, 2)
        assert (tmp_path / "docs" / "sec-common").stat().st_ino == inode
        published = "".join(p.read_text() for p in (tmp_path / "docs" / "eng").rglob("*.md*"))
        assert "Edited upstream." in published
        assert daemon.wait_for("hook.finished")["changed"] == "eng"
        assert (tmp_path / "hook.txt").read_text().splitlines()[-1] == "eng"

        # An unchanged run publishes nothing and runs no hook.
        daemon.signal(signal.SIGUSR1)
        third = daemon.wait_for("sync.finished")
        assert (third["published"], third["unchanged"]) == (0, 3)

        # SIGTERM while the server sits on a page request: the request is abandoned at once, the
        # daemon exits 0 long before its 60 s shutdown deadline, nothing is left in staging.
        double.edit(double.pages_of("bulk")[0]["id"])  # something to fetch
        hang_page_requests(double)
        daemon.signal(signal.SIGUSR1)
        assert double.gate_reached.wait(EVENT_TIMEOUT)
        stopping = time.monotonic()
        daemon.signal(signal.SIGTERM)
        assert daemon.proc.wait(timeout=30) == 0
        print(f"\nSIGTERM to exit with the server holding a request: {time.monotonic() - stopping:.2f} s")
        assert any(e.get("event") == "space.cancelled" for e in daemon.drain())
        assert double.gate is not None and not double.gate.is_set()  # the server never answered
        received += notify_socket.wait_for("STOPPING=1")
        assert "READY=1" in received and "WATCHDOG=1" in "\n".join(received)
        assert leftovers(tmp_path / "docs") == []
        assert {p.name for p in (tmp_path / "docs").iterdir()} == {
            ".docmost-syncd",
            "sec-common",
            "eng",
            "bulk",
        }
        assert len((tmp_path / "hook.txt").read_text().splitlines()) == 2  # the unchanged run ran no hook
    finally:
        daemon.stop()


def test_sigkill_mid_run_then_restart_recovers(served: tuple[DocmostDouble, str], tmp_path: Path) -> None:
    double, url = served
    port = free_port()
    config = write_config(tmp_path, url, port)
    daemon = DaemonProcess(config, daemon_env(tmp_path))
    try:
        daemon.wait_for("sync.finished")
        before = sorted(p.name for p in (tmp_path / "docs" / "eng").rglob("*.md*"))
        double.edit(double.pages_of("eng")[0]["id"])
        hang_page_requests(double)
        daemon.signal(signal.SIGUSR1)
        assert double.gate_reached.wait(EVENT_TIMEOUT)
        daemon.signal(signal.SIGKILL)
        assert daemon.proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        daemon.stop()
    assert double.gate is not None
    double.gate.set()
    double.gate = None
    restarted = DaemonProcess(config, daemon_env(tmp_path))
    try:
        finished = restarted.wait_for("sync.finished")
        assert finished["failed"] == 0
        assert leftovers(tmp_path / "docs") == []
        assert sorted(p.name for p in (tmp_path / "docs" / "eng").rglob("*.md*")) == before
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10).status_code == 200
    finally:
        assert restarted.terminate() == 0


def test_a_run_against_a_gone_server_leaves_the_daemon_running_and_not_ready(
    served: tuple[DocmostDouble, str], tmp_path: Path
) -> None:
    double, url = served
    down = Reply(503, b'{"message": "Service Unavailable", "statusCode": 503}', {"content-type": "application/json"})
    double.replies["/api/auth/login"] = [down] * 5  # every attempt of the first run's login
    port = free_port()
    daemon = DaemonProcess(write_config(tmp_path, url, port), daemon_env(tmp_path))
    try:
        failed = daemon.wait_for("sync.failed")
        assert url in failed["error"] and "HTTP 503" in failed["error"]
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10)
        assert ready.status_code == 503
        assert ready.json()["not_ready"][0] == f"the last run failed: {failed['error']}"
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        assert 'docmost_syncd_runs_total{result="failed"} 1.0' in metrics
        assert daemon.proc.poll() is None  # the daemon lives on
        # The server is back: the next run (asked for now, past the back-off) publishes.
        daemon.signal(signal.SIGUSR1)
        finished = daemon.wait_for("sync.finished")
        assert (finished["published"], finished["failed"]) == (3, 0)
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10).status_code == 200
    finally:
        assert daemon.terminate() == 0


def test_second_daemon_on_the_same_output_is_refused(
    served: tuple[DocmostDouble, str], tmp_path: Path
) -> None:
    _double, url = served
    config = write_config(tmp_path, url, free_port())
    first = DaemonProcess(config, daemon_env(tmp_path))
    try:
        first.wait_for("daemon.started")
        second = subprocess.run(
            [sys.executable, "-m", "docmost_syncd", "run", "--config", str(config)],
            capture_output=True, text=True, timeout=60, env=daemon_env(tmp_path), check=False,
        )  # fmt: skip
        assert second.returncode == 1
        assert "another docmost-syncd" in second.stderr
    finally:
        first.terminate()


def test_readyz_is_503_before_the_first_success(served: tuple[DocmostDouble, str], tmp_path: Path) -> None:
    _double, url = served
    port = free_port()
    daemon = DaemonProcess(write_config(tmp_path, url, port, run_on_start=False), daemon_env(tmp_path))
    try:
        daemon.wait_for("daemon.started")
        response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10)
        assert response.status_code == 503
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
    finally:
        daemon.terminate()


def test_sync_once_exit_codes(served: tuple[DocmostDouble, str], tmp_path: Path) -> None:
    double, url = served
    config = write_config(tmp_path, url, free_port())
    env = daemon_env(tmp_path)
    ok = subprocess.run([sys.executable, "-m", "docmost_syncd", "sync", "--once", "--config", str(config)],
                        capture_output=True, text=True, timeout=120, env=env, check=False)  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    eng_pages = {item["id"] for item in double.pages_of("eng")}
    original = double._info

    def failing_for_eng(payload: dict[str, object]) -> Reply:
        if payload.get("pageId") in eng_pages:
            return Reply(500, b'{"statusCode":500,"message":"Internal server error"}', {})
        return original(payload)

    double._info = failing_for_eng  # type: ignore[method-assign]
    double.edit(double.pages_of("eng")[0]["id"])  # an edit, so eng fetches a page (and fails)
    double.edit(double.pages_of("bulk")[0]["id"])
    failed = subprocess.run([sys.executable, "-m", "docmost_syncd", "sync", "--once", "--config", str(config)],
                            capture_output=True, text=True, timeout=120, env=env, check=False)  # fmt: skip
    assert failed.returncode == 1
    assert any(
        json.loads(line).get("event") == "space.failed"
        for line in failed.stderr.splitlines()
        if line.startswith("{")
    )
    status = subprocess.run([sys.executable, "-m", "docmost_syncd", "status", "--config", str(config), "--json"],
                            capture_output=True, text=True, timeout=60, env=env, check=False)  # fmt: skip
    assert status.returncode == 1  # a space's last result is failed
    rows = {row["space"]: row for row in json.loads(status.stdout)["spaces"]}
    assert rows["eng"]["result"] == "failed" and "HTTP 500" in rows["eng"]["error"]
    assert rows["bulk"]["result"] == "published" and rows["bulk"]["pages"] == 231
    assert PASSWORD not in status.stdout + failed.stderr + ok.stderr
    usage = subprocess.run([sys.executable, "-m", "docmost_syncd", "sync"], capture_output=True, text=True,
                           timeout=60, env=env, check=False)  # fmt: skip
    assert usage.returncode == 2


def test_max_failures_exits_non_zero_for_systemd(served: tuple[DocmostDouble, str], tmp_path: Path) -> None:
    double, url = served
    double.password = "the-password-was-changed"  # every login now fails: every run fails
    config = write_config(tmp_path, url, free_port(), max_failures=2)
    daemon = DaemonProcess(config, daemon_env(tmp_path))
    try:
        daemon.wait_for("sync.failed")
        daemon.signal(signal.SIGUSR1)
        assert daemon.wait_for("daemon.max_failures")["failed_runs"] == 2
        assert daemon.proc.wait(timeout=60) == 1
    finally:
        daemon.stop()


def test_sighup_reloads_or_keeps_the_running_config(
    served: tuple[DocmostDouble, str], tmp_path: Path
) -> None:
    _double, url = served
    config = write_config(tmp_path, url, free_port())
    daemon = DaemonProcess(config, daemon_env(tmp_path))
    try:
        daemon.wait_for("sync.finished")
        good = config.read_text()
        config.write_text(good.replace('interval = "1h"', 'interval = "90 minutes"'))
        daemon.signal(signal.SIGHUP)
        failed = daemon.wait_for("config.reload_failed")
        assert any("sync.interval" in problem for problem in failed["problems"])
        config.write_text(good.replace('"bulk", ', ""))  # stop publishing bulk
        daemon.signal(signal.SIGHUP)
        daemon.wait_for("config.reloaded")
        daemon.signal(signal.SIGUSR1)
        finished = daemon.wait_for("sync.finished")
        assert finished["pruned"] == 1 and not (tmp_path / "docs" / "bulk").exists()
    finally:
        daemon.terminate()
