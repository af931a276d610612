"""A Docmost 0.95.0 double that answers with the recorded fixtures.

``DocmostDouble.answer`` maps one request to one recorded response; the same object serves respx
(``respx_side_effect``) and a real loopback HTTP server (``serve``), so client tests and daemon
tests speak to the same recorded server. Nothing here is invented: every body comes from
tests/fixtures/docmost-0.95.0 (the login token is a placeholder, as in the recordings).
"""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx

from tests.loopback import Answer, serve

FIXTURES = Path(__file__).parent / "fixtures" / "docmost-0.95.0"
API = FIXTURES / "api"
EXPORTS = FIXTURES / "exports"
TOKEN = "test-session-token-0123456789"
SPACES = ("sec-common", "eng", "bulk", "empty")


def api_fixture(name: str) -> dict[str, Any]:
    return json.loads((API / f"{name}.json").read_text(encoding="utf-8"))


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def _json_reply(status: int, body: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(
        status,
        json.dumps(body, ensure_ascii=False).encode(),
        {"content-type": "application/json", **(headers or {})},
    )


def _recorded(name: str) -> Reply:
    exchange = api_fixture(name)["response"]
    headers = {
        k: v for k, v in exchange["headers"].items() if k.lower() in ("retry-after-auth", "content-type")
    }
    return _json_reply(exchange["status"], exchange["body"], headers)


class DocmostDouble:
    """State: which token is valid, what each space exports, and every request seen."""

    def __init__(self, password: str = "correct-password") -> None:
        self.password = password
        self.valid_tokens = {TOKEN}
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.login_replies: list[Reply] = []  # queued special answers for /api/auth/login
        self.export_overrides: dict[str, Reply] = {}  # space slug -> reply
        self.export_bytes: dict[str, bytes] = {}  # space slug -> zip bytes
        self.lock = threading.Lock()
        self.export_gate: threading.Event | None = None  # when set, exports wait for it
        self.export_started = threading.Event()
        self.spaces_pages: list[dict[str, Any]] = [
            api_fixture(f"spaces-list-limit10-page{n}")["response"]["body"] for n in (1, 2, 3)
        ]
        self.trees: dict[str, dict[str, Any]] = {}
        self.space_slug_by_id: dict[str, str] = {}
        self.page_slug_id: dict[str, tuple[str, str]] = {}  # page id -> (space slug, slugId)
        for slug in SPACES:
            tree = json.loads((API / "trees" / f"{slug}.json").read_text(encoding="utf-8"))
            self.space_slug_by_id[tree["space"]["id"]] = slug
            for exchange in tree["exchanges"]:
                request = exchange["request"]["body"]
                key = (request.get("pageId") or request["spaceId"], request.get("cursor"))
                self.trees[json.dumps(key)] = exchange["response"]["body"]
                for item in exchange["response"]["body"]["data"]["items"]:
                    self.page_slug_id[item["id"]] = (slug, item["slugId"])
        for slug in ("sec-common", "eng", "bulk"):
            self.export_bytes[slug] = (EXPORTS / f"{slug}.with-attachments.zip").read_bytes()

    @property
    def space_ids(self) -> dict[str, str]:
        return {slug: space_id for space_id, slug in self.space_slug_by_id.items()}

    def count(self, path: str) -> int:
        with self.lock:
            return sum(1 for seen, _ in self.requests if seen == path)

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        payload = json.loads(body) if body else {}
        with self.lock:
            self.requests.append((path, payload))
        if method == "GET" and path.startswith("/api/files/"):
            return self._file(path, headers)
        if method != "POST":
            return _recorded("spaces-list-GET-method")
        if path == "/api/auth/login":
            with self.lock:
                if self.login_replies:
                    return self.login_replies.pop(0)
            if payload.get("password") != self.password:
                return _recorded("auth-login-wrong-password")
            reply = _recorded("auth-login-success")
            reply.headers["set-cookie"] = f"authToken={TOKEN}; Path=/; HttpOnly; SameSite=Lax"
            return reply
        auth = headers.get("authorization", "")
        if auth.removeprefix("Bearer ") not in self.valid_tokens:
            return _recorded("error-401-no-cookie-spaces")
        if path == "/api/spaces":
            cursor = payload.get("cursor")
            index = 0
            for number in range(1, len(self.spaces_pages)):
                if self.spaces_pages[number - 1]["data"]["meta"]["nextCursor"] == cursor:
                    index = number
            return _json_reply(200, self.spaces_pages[index])
        if path == "/api/pages/sidebar-pages":
            key = json.dumps((payload.get("pageId") or payload.get("spaceId"), payload.get("cursor")))
            if key in self.trees:
                return _json_reply(200, self.trees[key])
            return _recorded("sidebar-pages-unknown-space")
        if path == "/api/spaces/export":
            slug = self.space_slug_by_id.get(payload.get("spaceId", ""))
            if slug is None:
                return _recorded("spaces-export-unknown-space-id")
            self.export_started.set()
            if self.export_gate is not None:
                self.export_gate.wait(timeout=60)
            if slug in self.export_overrides:
                return self.export_overrides[slug]
            if slug not in self.export_bytes:
                return _recorded("spaces-export-empty-space")
            return Reply(200, self.export_bytes[slug], {"content-type": "application/zip"})
        if path == "/api/pages/export":
            found = self.page_slug_id.get(payload.get("pageId", ""))
            if found is None:
                return _recorded("pages-export-unknown-page")
            markdown = EXPORTS / "pages" / f"{found[0]}.{found[1]}.md"
            return Reply(200, markdown.read_bytes(), {"content-type": "application/octet-stream"})
        if path == "/api/pages/recent":
            return self._recent(payload.get("spaceId", ""))
        return _recorded("error-404-unknown-route")

    def _recent(self, space_id: str) -> Reply:
        """The recorded /api/pages/recent shape, its items taken from the space's export metadata
        (real page ids and updatedAt values), newest first, as Docmost orders them."""
        recorded = api_fixture("pages-recent-limit3")["response"]["body"]
        template = recorded["data"]["items"][0]
        slug = self.space_slug_by_id.get(space_id)
        items = []
        if slug in self.export_bytes and b"docmost-metadata.json" in self.export_bytes[slug]:
            pages = metadata_of(self.export_bytes[slug])["pages"].values()
            newest = sorted(pages, key=lambda p: (p["updatedAt"], p["pageId"]), reverse=True)[:1]
            items = [
                dict(
                    template,
                    id=p["pageId"],
                    slugId=p["slugId"],
                    spaceId=space_id,
                    updatedAt=p["updatedAt"],
                    space={"id": space_id, "slug": slug, "name": slug},
                )
                for p in newest
            ]
        meta = dict(recorded["data"]["meta"], limit=1, hasNextPage=False, nextCursor=None)
        return _json_reply(200, {"data": {"items": items, "meta": meta}, "success": True, "status": 200})

    def _file(self, path: str, headers: dict[str, str]) -> Reply:
        """GET /api/files/<id>/<name>: the attachment's bytes, taken from the recorded
        with-attachments exports (Docmost stores them at files/<id>/<name> in the ZIP)."""
        if headers.get("authorization", "").removeprefix("Bearer ") not in self.valid_tokens:
            return _recorded("error-401-no-cookie-spaces")
        wanted = unquote(path.removeprefix("/api/"))
        for slug in ("sec-common", "eng"):
            with zipfile.ZipFile(EXPORTS / f"{slug}.with-attachments.zip") as archive:
                for name in archive.namelist():
                    if name.replace("//", "/").lstrip("/").endswith(wanted):
                        return Reply(200, archive.read(name), {"content-type": "application/octet-stream"})
        return _recorded("error-404-unknown-route")

    def touch(self, slug: str, text: str = "Edited upstream.") -> None:
        """An edit in Docmost: one page gets a paragraph and a newer updatedAt in the metadata."""
        source = zipfile.ZipFile(io.BytesIO(self.export_bytes[slug]))
        metadata = json.loads(source.read("docmost-metadata.json"))
        key, entry = next(
            (k, v) for k, v in sorted(metadata["pages"].items()) if unquote(k) in source.namelist()
        )
        entry["updatedAt"] = (
            "2099-01-01T00:00:00.000Z" if entry["updatedAt"] < "2099" else entry["updatedAt"] + "1"
        )
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                data = source.read(info)
                if info.filename == unquote(key):
                    data += f"\n\n{text}\n".encode()
                elif info.filename == "docmost-metadata.json":
                    data = json.dumps(metadata, ensure_ascii=False).encode()
                target.writestr(info, data)
        self.export_bytes[slug] = buffer.getvalue()

    # ---- respx ----

    def respx_side_effect(self, request: httpx.Request) -> httpx.Response:
        reply = self.answer(request.method, request.url.path, dict(request.headers), request.content)
        return httpx.Response(reply.status, content=reply.body, headers=reply.headers)

    # ---- a real loopback server ----

    @contextmanager
    def serve(self) -> Iterator[str]:
        def respond(method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
            reply = self.answer(method, path, headers, body)
            return reply.status, reply.headers, reply.body

        with serve(respond) as url:
            yield url


def metadata_of(zip_bytes: bytes) -> dict[str, Any]:
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        return json.loads(archive.read("docmost-metadata.json"))  # type: ignore[no-any-return]


def live_page_count(slug: str) -> int:
    return int(json.loads((API / "trees" / f"{slug}.json").read_text(encoding="utf-8"))["page_count"])
