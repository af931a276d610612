"""/healthz, /readyz and /metrics on ``http.bind`` (loopback by default).

/healthz: the process is alive and its loop progresses (a hung run turns it 503).
/readyz: 200 once every listed space has synced successfully, and none's last success is older
than twice the schedule's interval; 503 before and after. Both answer JSON with the per-space
state. /metrics: the Prometheus exposition of the daemon's registry.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from docmost_syncd.daemon.metrics import Metrics

HealthReport = Callable[[], tuple[bool, bool, dict[str, Any]]]
"""Returns (healthy, ready, body)."""


class HealthServer:
    def __init__(self, bind: str, report: HealthReport, metrics: Metrics) -> None:
        host, _, port = bind.rpartition(":")
        self._report = report
        self._metrics = metrics
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    self._send(200, generate_latest(server._metrics.registry), CONTENT_TYPE_LATEST)
                    return
                if path not in ("/healthz", "/readyz"):
                    self._send(404, b'{"error": "not found"}\n', "application/json")
                    return
                healthy, ready, body = server._report()
                ok = healthy if path == "/healthz" else ready
                payload = json.dumps(
                    {"status": "ok" if ok else "unavailable", **body}, ensure_ascii=False, indent=2
                )
                self._send(200 if ok else 503, payload.encode() + b"\n", "application/json")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer((host.strip("[]") or "127.0.0.1", int(port)), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="health", daemon=True)

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
