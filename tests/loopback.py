"""A loopback HTTP/1.1 server that hands every request to a function: the one piece both Docmost
doubles (tests/docmost_double.py and bench/docmost_fake.py) serve through.

It speaks just the HTTP a client of Docmost needs (keep-alive, Content-Length request bodies,
fixed-length or chunked answers) and little else, which keeps it several times faster than
http.server: benchmarks then measure docmost-syncd, not the double."""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http import HTTPStatus
from pathlib import Path
from typing import Any

Answer = tuple[int, dict[str, str], bytes | Path]
"""Status, headers and a body; a Path body is streamed chunked without Content-Length, as
Docmost streams its exports."""

Responder = Callable[[str, str, dict[str, str], bytes], Answer]
"""(method, path, lower-cased request headers, request body) → the answer."""


class ServerDeath(Exception):
    """Raised by a responder: the server dies as a killed process does. It stops listening (new
    connections are refused) and every open connection is shut, the one asking included."""


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


@contextmanager
def serve(respond: Responder) -> Iterator[str]:
    """Serve on 127.0.0.1 on a free port; yields the base URL."""

    class Handler(socketserver.StreamRequestHandler):
        server: Server

        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.server.opened(self.connection)

        def finish(self) -> None:
            self.server.closed(self.connection)
            super().finish()

        def handle(self) -> None:
            try:
                self._handle()
            except ServerDeath:
                self.server.die()

        def _handle(self) -> None:
            while True:
                request_line = self.rfile.readline(65537)
                if not request_line.strip():
                    return
                method, target = request_line.decode("latin-1").split(" ", 2)[:2]
                headers: dict[str, str] = {}
                while True:
                    line = self.rfile.readline(65537)
                    if line in (b"\r\n", b"\n", b""):
                        break
                    name, _colon, value = line.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = self.rfile.read(int(headers.get("content-length") or 0))
                status, answer_headers, payload = respond(method, target, headers, body)
                head = f"HTTP/1.1 {status} {_reason(status)}\r\n" + "".join(
                    f"{key}: {value}\r\n" for key, value in answer_headers.items()
                )
                if isinstance(payload, Path):
                    self.wfile.write((head + "transfer-encoding: chunked\r\n\r\n").encode("latin-1"))
                    with payload.open("rb") as handle:
                        while chunk := handle.read(256 * 1024):
                            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    if "content-length" not in {key.lower() for key in answer_headers}:
                        head += f"content-length: {len(payload)}\r\n"
                    self.wfile.write(head.encode("latin-1") + b"\r\n" + payload)
                if headers.get("connection", "").lower() == "close":
                    return

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            self.connections: set[socket.socket] = set()
            self.connections_lock = threading.Lock()
            self.dead = False

        def opened(self, connection: socket.socket) -> None:
            with self.connections_lock:
                self.connections.add(connection)
            if self.dead:
                raise ServerDeath  # accepted in the moment before the server stopped listening

        def closed(self, connection: socket.socket) -> None:
            with self.connections_lock:
                self.connections.discard(connection)

        def die(self) -> None:
            """Stop listening, then shut every open connection (a reset where data is unread)."""
            with self.connections_lock:
                first, self.dead = not self.dead, True
                connections = list(self.connections)
            if first:  # new connections are refused from here on; the accept loop ends
                self.socket.shutdown(socket.SHUT_RDWR)
                threading.Thread(target=self.shutdown, daemon=True).start()
            for connection in connections:
                try:
                    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        def handle_error(self, request: Any, client_address: Any) -> None:
            return None  # a client that hung up (a killed daemon) is part of the tests

    with running(Server(("127.0.0.1", 0), Handler)) as url:
        yield url


@contextmanager
def running(server: socketserver.BaseServer) -> Iterator[str]:
    """Serve ``server`` (bound to a loopback port) on a thread; yields its base URL."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[index]
    finally:
        server.shutdown()
        server.server_close()
