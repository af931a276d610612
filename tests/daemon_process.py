"""`docmost-syncd run` as a real process, watched through its JSON log lines: shared by the
daemon tests and the container tests."""

from __future__ import annotations

import json
import queue
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.docmost_double import DocmostDouble

EVENT_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DaemonProcess:
    """A running `docmost-syncd run` (a process, or a container through ``argv``), its JSON log
    lines read by a thread into a queue."""

    def __init__(self, config: Path | None, env: dict[str, str], argv: list[str] | None = None) -> None:
        command = argv or [sys.executable, "-m", "docmost_syncd", "run", "--config", str(config)]
        self.proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                self.lines.put(json.loads(line))
            except ValueError:
                self.lines.put({"event": "raw", "line": line})

    def wait_for(self, event: str, **fields: Any) -> dict[str, Any]:
        """Block until the daemon logs ``event`` (with these fields); fail after EVENT_TIMEOUT."""
        while True:
            try:
                entry = self.lines.get(timeout=EVENT_TIMEOUT)
            except queue.Empty:
                pytest.fail(
                    f"no {event} within {EVENT_TIMEOUT}s; seen: {[e.get('event') for e in self.seen]}"
                )
            self.seen.append(entry)
            if entry.get("event") == event and all(entry.get(k) == v for k, v in fields.items()):
                return entry

    def drain(self) -> list[dict[str, Any]]:
        """Every line logged so far (call after the process exited: the reader has seen them all)."""
        self.reader.join(timeout=EVENT_TIMEOUT)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return self.seen

    def signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)

    def terminate(self) -> int:
        """SIGTERM, as systemd stops the service; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        status = self.proc.wait(timeout=60)
        self.stop()
        return status


def hang_page_requests(double: DocmostDouble) -> None:
    """From now on the server takes page requests and does not answer them."""
    double.gate_reached.clear()
    double.gate = threading.Event()


def leftovers(output: Path) -> list[str]:
    state = output / ".docmost-syncd"
    found = [p.name for p in state.iterdir() if p.name.endswith(("_temp", "_old"))]
    found += [str(p) for p in (state / "cache").rglob("*.part")]
    return found
