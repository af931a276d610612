"""``docmost-syncd demo``: the real sync, without a Docmost server.

A recording of two spaces of a real Docmost 0.95.0 server (``recording.json.gz``: the Korean
sample space and Kitchen Sink, every node type of the editor, page by page as the API answered,
with their files) is served on a loopback port, and ``sync --once`` runs against it exactly as it
runs against a server: login, the space list, the page listings, every page's JSON, the files.
"""

from __future__ import annotations

import base64
import gzip
import json
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from pydantic import SecretStr

from docmost_syncd.config import DocmostSettings, OutputSettings, Settings

TOKEN = "demo-session"  # noqa: S105 - the recording's stand-in session, on loopback only
PASSWORD = "demo-password"  # noqa: S105 - the recording's stand-in login, on loopback only
EMAIL = "demo@docmost-syncd.invalid"


def load_recording() -> dict[str, Any]:
    data = files("docmost_syncd.demo").joinpath("recording.json.gz").read_bytes()
    return json.loads(gzip.decompress(data))  # type: ignore[no-any-return]


def _envelope(data: Any) -> bytes:
    return json.dumps({"data": data, "success": True, "status": 200}, ensure_ascii=False).encode()


class _Recorded(BaseHTTPRequestHandler):
    recording: dict[str, Any]

    def log_message(self, *_args: Any) -> None:
        return None

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"Content-Type": "application/json; charset=utf-8", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _authorized(self) -> bool:
        if self.headers.get("Authorization") == f"Bearer {TOKEN}":
            return True
        self._send(401, b'{"message":"Unauthorized","statusCode":401}')
        return False

    def do_GET(self) -> None:
        parts = self.path.split("/")  # /api/files/<id>/<name>
        found = self.recording["files"].get(unquote(parts[3])) if len(parts) >= 5 else None
        if not self._authorized():
            return
        if found is None:
            self._send(404, b'{"message":"Not found","statusCode":404}')
            return
        self._send(200, base64.b64decode(found[1]), {"Content-Type": "application/octet-stream"})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        recording = self.recording
        if self.path == "/api/auth/login":
            if body.get("email") != EMAIL or body.get("password") != PASSWORD:
                self._send(401, b'{"message":"Email or password does not match","statusCode":401}')
                return
            self._send(200, b'{"success":true,"status":200}', {"Set-Cookie": f"authToken={TOKEN}; Path=/; HttpOnly"})
            return
        if not self._authorized():
            return
        if self.path == "/api/version":
            self._send(200, json.dumps(recording["version"]).encode())
        elif self.path == "/api/spaces":
            self._send(200, _envelope({"items": recording["spaces"], "meta": {"hasNextPage": False}}))
        elif self.path == "/api/pages/recent":
            items = [item for item in recording["items"] if item["spaceId"] == body.get("spaceId")]
            items.sort(key=lambda item: (item["updatedAt"], item["id"]), reverse=True)
            self._send(200, _envelope({"items": items, "meta": {"hasNextPage": False}}))
        elif self.path == "/api/pages/info" and body.get("pageId") in recording["pages"]:
            self._send(200, _envelope(recording["pages"][body["pageId"]]))
        else:
            self._send(404, b'{"message":"Not found","statusCode":404}')


@contextmanager
def serve(recording: dict[str, Any]) -> Iterator[str]:
    """The recording on 127.0.0.1 on a free port; yields its URL."""
    handler = type("Recorded", (_Recorded,), {"recording": recording})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="demo-docmost", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def run_demo(output: Path) -> int:
    """Sync the recorded spaces into ``output``, as `sync --once` does; print where they went.

    The demo's settings are its own (no ``DOCMOST_SYNCD_*`` variable applies) and it writes no
    edit links: they would name the recording's loopback port, gone when the demo ends, and a
    new port each time would make every rerun rewrite every page. Its spaces are the "demo"
    source's: a `sync` or `convert` into the same folder neither takes nor prunes them."""
    from docmost_syncd.run import run_once

    recording = load_recording()
    with serve(recording) as url:
        settings = Settings.from_values(
            docmost=DocmostSettings(url=url, email=EMAIL, password=SecretStr(PASSWORD)),
            output=OutputSettings(dir=output, math="katex", edit_links=False),
        )
        code = run_once(settings, source="demo")
    if code != 0:
        print(f"\ndocmost-syncd demo failed: see the error above; {output} keeps what it had.", file=sys.stderr)
        return code
    names = ", ".join(space["name"] for space in recording["spaces"])
    print(
        f"\ndocmost-syncd synced {len(recording['items'])} pages of {names} from a recorded Docmost "
        f"0.95 server into {output.resolve()}.\nSee them in the site kit (Node.js 20 or newer):\n"
        f"  cd site && npm ci\n"
        f"  DOCMOST_SYNCD_DOCS={output.resolve()} npm run build && npm run serve"
        f"   # then open http://localhost:3100/",
        file=sys.stdout,
        flush=True,
    )
    return code
