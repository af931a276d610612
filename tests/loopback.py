"""A loopback HTTP server that hands every POST to a function: the one piece both Docmost
doubles (tests/docmost_double.py and bench/docmost_fake.py) serve through."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

Answer = tuple[int, dict[str, str], bytes | Path]
"""Status, headers and a body; a Path body is streamed chunked without Content-Length, as
Docmost streams its exports."""

Responder = Callable[[str, str, dict[str, str], bytes], Answer]
"""(method, path, lower-cased request headers, request body) → the answer."""


@contextmanager
def serve(respond: Responder) -> Iterator[str]:
    """Serve GET and POST on 127.0.0.1 on a free port; yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in separate writes: without TCP_NODELAY, Nagle plus
            # delayed ACKs stall every keep-alive response by 40 ms.
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_GET(self) -> None:
            self.do_POST()

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers_in = {k.lower(): v for k, v in self.headers.items()}
            status, headers, payload = respond(self.command, self.path, headers_in, body)
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            if isinstance(payload, Path):
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                with payload.open("rb") as handle:
                    while chunk := handle.read(256 * 1024):
                        self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
                return
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_args: Any) -> None:
            return None

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            return None  # a client that hung up (a killed daemon) is part of the tests

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
