"""A Docmost double that answers from the page-by-page recordings of real servers.

``DocmostDouble(version)`` loads ``tests/fixtures/docmost-<version>-pages``: the space list, every
recorded ``/api/pages/recent`` item and ``/api/pages/info`` body (ProseMirror content included)
and every attachment's bytes. It answers login, ``/api/version``, ``/api/spaces``,
``/api/pages/recent`` (newest edit first, cursor-paginated with Docmost's cursor format),
``/api/pages/info`` and ``GET /api/files/<id>/<name>``; anything else gets the recorded 404.

The same object serves respx (``respx_side_effect``) and a real loopback server (``serve``).
Tests change the wiki through methods named like what a user does in Docmost (``edit``,
``rename``, ``move``, ``trash``...); each change bumps the page's ``updatedAt`` as Docmost's
``updatePage`` does. Every request is counted, and the most requests seen in flight at once
is kept.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import httpx

from tests.loopback import Answer, ServerDeath, serve

FIXTURES = Path(__file__).parent / "fixtures"
TOKEN = "test-session-token-0123456789"
VERSIONS = ("0.70.3", "0.80.2", "0.90.1", "0.95.0")
LOGIN = FIXTURES / "docmost-0.95.0" / "api" / "auth-login-success.json"
NOT_FOUND_ROUTE = FIXTURES / "docmost-0.95.0" / "api" / "error-404-unknown-route.json"
UNAUTHORIZED = FIXTURES / "docmost-0.95.0" / "api" / "error-401-no-cookie-spaces.json"
WRONG_PASSWORD = FIXTURES / "docmost-0.95.0" / "api" / "auth-login-wrong-password.json"
PAGE_NOT_FOUND = FIXTURES / "docmost-0.95.0" / "api" / "pages-info-permanently-deleted-page.json"
LISTING_ONLY = ("content", "creator", "lastUpdatedBy", "contributors", "deletedBy", "permissions")


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def _json_reply(status: int, body: Any, headers: dict[str, str] | None = None) -> Reply:
    data = json.dumps(body, ensure_ascii=False).encode()
    return Reply(status, data, {"content-type": "application/json; charset=utf-8", **(headers or {})})


def recorded(path: Path) -> Reply:
    exchange = json.loads(path.read_text(encoding="utf-8"))["response"]
    headers = {
        k: v for k, v in exchange["headers"].items() if k.lower() in ("retry-after-auth", "retry-after")
    }
    return _json_reply(exchange["status"], exchange["body"], headers)


def _envelope(data: Any) -> dict[str, Any]:
    return {"data": data, "success": True, "status": 200}


def encode_cursor(updated_at: str, page_id: str) -> str:
    """Docmost's keyset cursor: base64 of the URL-encoded sort keys."""
    raw = f"updatedAt={quote(updated_at, safe='')}&id={page_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    fields = dict(part.split("=", 1) for part in raw.split("&"))
    return unquote(fields["updatedAt"]), fields["id"]


class DocmostDouble:
    def __init__(self, version: str = "0.95.0", password: str = "correct-password", recording: str | None = None) -> None:
        self.version = version
        self.root = FIXTURES / (recording or f"docmost-{version}-pages")
        self.password = password
        self.valid_tokens = {TOKEN}
        self.lock = threading.Lock()
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.replies: dict[str, list[Reply]] = {}  # path → queued answers given before the real one
        self.gate: threading.Event | None = None  # when set up, /api/pages/info waits for it
        self.gate_reached = threading.Event()
        self.delay = 0.0  # seconds every answer waits (to see requests overlap)
        self._clock = 0
        self.dead = False
        self.died_at: float | None = None  # time.monotonic() of the death (see ``die_after``)
        self._death: tuple[str, int, int] | None = None
        self._death_gate = threading.Event()
        self._death_seen = 0  # requests for the death's path so far
        self._death_waiting = 0
        spaces_body = json.loads((self.root / "api" / "spaces.json").read_text(encoding="utf-8"))
        recorded_slugs = {path.stem for path in (self.root / "api" / "recent").glob("*.json")}
        self.spaces: list[dict[str, Any]] = [
            item
            for item in spaces_body["response"]["body"]["data"]["items"]
            if item["slug"] in recorded_slugs
        ]
        self.items: dict[str, dict[str, Any]] = {}  # page id → its /api/pages/recent item
        self.info: dict[str, dict[str, Any]] = {}  # page id → its /api/pages/info data
        for slug in recorded_slugs:
            walk = json.loads((self.root / "api" / "recent" / f"{slug}.json").read_text(encoding="utf-8"))
            for exchange in walk["exchanges"]:
                for item in exchange["response"]["body"]["data"]["items"]:
                    self.items[item["id"]] = item
        for path in (self.root / "api" / "pages-info").glob("*.json"):
            data = json.loads(path.read_text(encoding="utf-8"))["response"]["body"]["data"]
            if data["id"] in self.items:
                self.info[data["id"]] = data
        self.files: dict[str, tuple[str, bytes]] = {}  # attachment id → (file name, bytes)
        files_index = self.root / "api" / "files-index.json"  # the shares recording has no files
        for entry in json.loads(files_index.read_text(encoding="utf-8")) if files_index.exists() else []:
            if entry.get("status") == 200:
                self.files[entry["id"]] = (entry["fileName"], (self.root / entry["path"]).read_bytes())
        # Public shares, where the recording has them (docmost-0.95.0-shares): the list, and each tree.
        shares_list = self.root / "api" / "shares" / "list.json"
        self.shares: list[dict[str, Any]] | None = (
            json.loads(shares_list.read_text(encoding="utf-8"))["response"]["body"]["data"]["items"]
            if shares_list.exists() else None
        )  # fmt: skip
        self.share_trees: dict[str, list[dict[str, Any]]] = {
            path.stem: json.loads(path.read_text(encoding="utf-8"))["response"]["body"]["data"]["pageTree"]
            for path in sorted((self.root / "api" / "shares" / "tree").glob("*.json"))
        }
        self.workspace_sharing_disabled = False
        # Page labels, where the recording has them: the list, and the pages of each label.
        labels_dir = self.root / "api" / "labels"
        self.labels: dict[str, list[dict[str, Any]]] | None = (
            {
                path.stem.removeprefix("pages-"): json.loads(path.read_text(encoding="utf-8"))["response"]["body"]["data"]["items"]
                for path in sorted(labels_dir.glob("pages-*.json"))
            }
            if labels_dir.is_dir() else None
        )  # fmt: skip
        self.trashed: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}  # id → (item, info)
        self.version_body = json.loads((self.root / "api" / "version.json").read_text(encoding="utf-8"))

    # ---- what the recordings hold -----------------------------------------------------------

    @property
    def space_ids(self) -> dict[str, str]:
        return {space["slug"]: space["id"] for space in self.spaces}

    def pages_of(self, slug: str) -> list[dict[str, Any]]:
        space_id = self.space_ids[slug]
        return [item for item in self.items.values() if item["spaceId"] == space_id]

    def page_id(self, slug: str, title: str) -> str:
        return next(item["id"] for item in self.pages_of(slug) if item["title"] == title)

    def count(self, path: str) -> int:
        with self.lock:
            return sum(1 for seen, _ in self.requests if seen == path or seen.startswith(path + "/"))

    def reset_counts(self) -> None:
        with self.lock:
            self.requests.clear()

    # ---- answering --------------------------------------------------------------------------

    def die_after(self, path: str, answered: int = 0, in_flight: int = 1) -> None:
        """The server dies as a killed process does (see ``ServerDeath``) once ``answered``
        requests for ``path`` have been answered and ``in_flight`` more are being answered:
        those wait for the death, which meets them mid-answer. Served loopback only."""
        self._death = (path, answered, in_flight)

    def _dies_here(self, path: str) -> None:
        if self.dead:
            raise ServerDeath
        if self._death is None:
            return
        target, answered, in_flight = self._death
        if path != target and not path.startswith(target + "/"):
            return
        with self.lock:
            self._death_seen += 1
            if self._death_seen <= answered:
                return
            self._death_waiting += 1
            dying = self._death_waiting >= in_flight
            if dying:
                self.dead, self.died_at = True, time.monotonic()
        if dying:
            self._death_gate.set()
        else:
            self._death_gate.wait(timeout=60)
        raise ServerDeath

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        self._dies_here(path)
        payload = json.loads(body) if body else {}
        with self.lock:
            self.requests.append((path, payload))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            queued = self.replies.get(path)
            special = queued.pop(0) if queued else None
        try:
            if self.delay:
                time.sleep(self.delay)
            if special is not None:
                return special
            return self._answer(method, path, headers, payload)
        finally:
            with self.lock:
                self.in_flight -= 1

    def _answer(self, method: str, path: str, headers: dict[str, str], payload: dict[str, Any]) -> Reply:
        if path == "/api/auth/login" and method == "POST":
            if payload.get("password") != self.password:
                return recorded(WRONG_PASSWORD)
            reply = recorded(LOGIN)
            reply.headers["set-cookie"] = f"authToken={TOKEN}; Path=/; HttpOnly; SameSite=Lax"
            return reply
        if headers.get("authorization", "").removeprefix("Bearer ") not in self.valid_tokens:
            return recorded(UNAUTHORIZED)
        if method == "GET" and path.startswith("/api/files/"):
            return self._file(path)
        if method != "POST":
            return recorded(NOT_FOUND_ROUTE)
        if path == "/api/version":
            return _json_reply(200, self.version_body["response"]["body"])
        if path == "/api/spaces":
            meta = {
                "limit": 100,
                "hasNextPage": False,
                "hasPrevPage": False,
                "nextCursor": None,
                "prevCursor": None,
            }
            return _json_reply(200, _envelope({"items": self.spaces, "meta": meta}))
        if path == "/api/pages/recent":
            return self._recent(payload)
        if path == "/api/shares" and self.shares is not None:
            meta = {"limit": 100, "hasNextPage": False, "hasPrevPage": False, "nextCursor": None, "prevCursor": None}
            return _json_reply(200, _envelope({"items": copy.deepcopy(self.shares), "meta": meta}))
        if path == "/api/shares/tree" and self.shares is not None:
            share = next((s for s in self.shares if s["id"] == payload.get("shareId")), None)
            if share is None:
                return _json_reply(404, {"message": "Share not found", "error": "Not Found", "statusCode": 404})
            tree = self.share_trees.get(share["id"], []) if share["includeSubPages"] else []
            return _json_reply(200, _envelope({"share": share, "pageTree": copy.deepcopy(tree), "features": []}))
        if path == "/api/labels" and self.labels is not None:
            items = [{"id": f"label-{name}", "name": name, "type": "page"} for name in sorted(self.labels)]
            meta = {"limit": 100, "hasNextPage": False, "hasPrevPage": False, "nextCursor": None, "prevCursor": None}
            return _json_reply(200, _envelope({"items": items, "meta": meta}))
        if path == "/api/labels/pages" and self.labels is not None:
            items = copy.deepcopy(self.labels.get(str(payload.get("name")), []))
            meta = {"limit": 100, "hasNextPage": False, "hasPrevPage": False, "nextCursor": None, "prevCursor": None}
            return _json_reply(200, _envelope({"items": items, "meta": meta}))
        if path == "/api/workspace/info":
            sharing = {"sharing": {"disabled": True}} if self.workspace_sharing_disabled else None
            return _json_reply(200, _envelope({"id": "workspace", "name": "Lab", "settings": sharing}))
        if path == "/api/pages/info":
            return self._info(payload)
        return recorded(NOT_FOUND_ROUTE)

    def _recent(self, payload: dict[str, Any]) -> Reply:
        limit = int(payload.get("limit") or 20)
        with self.lock:
            items = [item for item in self.items.values() if item["spaceId"] == payload.get("spaceId")]
        items.sort(key=lambda item: (item["updatedAt"], item["id"]), reverse=True)
        if payload.get("cursor"):
            after = decode_cursor(payload["cursor"])
            items = [item for item in items if (item["updatedAt"], item["id"]) < after]
        page, rest = items[:limit], items[limit:]
        last = page[-1] if page else None
        meta = {
            "limit": limit,
            "hasNextPage": bool(rest),
            "hasPrevPage": bool(payload.get("cursor")),
            "nextCursor": encode_cursor(last["updatedAt"], last["id"]) if rest and last else None,
            "prevCursor": None,
        }
        return _json_reply(200, _envelope({"items": copy.deepcopy(page), "meta": meta}))

    def _info(self, payload: dict[str, Any]) -> Reply:
        if self.gate is not None:
            self.gate_reached.set()
            self.gate.wait(timeout=120)
        page_id = payload.get("pageId")
        with self.lock:
            data = self.info.get(page_id) or (self.trashed[page_id][1] if page_id in self.trashed else None)
            data = copy.deepcopy(data) if data is not None else None
        if data is None:
            return recorded(PAGE_NOT_FOUND)
        if not payload.get("includeContent"):
            data.pop("content", None)
        return _json_reply(200, _envelope(data))

    def _file(self, path: str) -> Reply:
        parts = path.split("/")
        found = self.files.get(unquote(parts[3])) if len(parts) >= 5 else None
        if found is None:
            return recorded(NOT_FOUND_ROUTE)
        return Reply(
            200, found[1], {"content-type": "application/octet-stream", "content-length": str(len(found[1]))}
        )

    # ---- what users do in Docmost -------------------------------------------------------------

    def _now(self) -> str:
        self._clock += 1
        seconds, millis = divmod(self._clock, 1000)
        return f"2099-01-01T00:{seconds // 60:02d}:{seconds % 60:02d}.{millis:03d}Z"

    def _update(self, page_id: str, **fields: Any) -> None:
        with self.lock:
            stamp = self._now()
            for target in (self.items[page_id], self.info[page_id]):
                target.update(
                    {k: v for k, v in fields.items() if k != "content" or target is self.info[page_id]}
                )
                target["updatedAt"] = stamp

    def edit(self, page_id: str, text: str = "Edited upstream.") -> None:
        """Append a paragraph to a page."""
        content = copy.deepcopy(self.info[page_id].get("content")) or {"type": "doc", "content": []}
        content.setdefault("content", []).append(
            {"type": "paragraph", "content": [{"type": "text", "text": text}]}
        )
        self._update(page_id, content=content)

    def set_content(self, page_id: str, nodes: list[dict[str, Any]]) -> None:
        self._update(page_id, content={"type": "doc", "content": nodes})

    def rename(self, page_id: str, title: str) -> None:
        self._update(page_id, title=title)

    def move(self, page_id: str, parent_id: str | None, position: str | None = None) -> None:
        fields: dict[str, Any] = {"parentPageId": parent_id}
        if position is not None:
            fields["position"] = position
        self._update(page_id, **fields)

    def move_to_space(self, page_id: str, slug: str, parent_id: str | None = None) -> None:
        """Move a page and every page below it to another space, as Docmost's
        ``/api/pages/move-to-space`` does: the page's parent is there (or none), each page's
        ``space`` and ``updatedAt`` change, its id and slugId stay."""
        target = next(space for space in self.spaces if space["slug"] == slug)
        with self.lock:
            stamp = self._now()
            for current in self._subtree(page_id):
                for record in (self.items[current], self.info[current]):
                    record["spaceId"] = target["id"]
                    record["updatedAt"] = stamp
                    if "space" in record:
                        record["space"] = {**record["space"], "id": target["id"], "slug": target["slug"], "name": target["name"]}
            self.items[page_id]["parentPageId"] = self.info[page_id]["parentPageId"] = parent_id

    def _subtree(self, page_id: str) -> list[str]:
        found, stack = [], [page_id]
        while stack:
            current = stack.pop()
            found.append(current)
            stack.extend(i["id"] for i in self.items.values() if i.get("parentPageId") == current)
        return found

    def trash(self, page_id: str) -> list[str]:
        """Move a page and its descendants to the trash (they leave the listing)."""
        with self.lock:
            stamp = self._now()
            ids = self._subtree(page_id)
            for current in ids:
                item = self.items.pop(current)
                data = self.info.pop(current)
                data["deletedAt"] = stamp
                self.trashed[current] = (item, data)
        return ids

    def restore(self, ids: list[str]) -> None:
        with self.lock:
            for current in ids:
                item, data = self.trashed.pop(current)
                data["deletedAt"] = None
                stamp = self._now()
                item["updatedAt"] = data["updatedAt"] = stamp
                self.items[current], self.info[current] = item, data

    def add_space(self, slug: str, name: str) -> str:
        """A new, empty space, shaped like a recorded one."""
        with self.lock:
            self._clock += 1
            space_id = f"01a2dddd-{self._clock:04x}-7000-8000-{self._clock:012x}"
            self.spaces.append(dict(copy.deepcopy(self.spaces[0]), id=space_id, slug=slug, name=name))
        return space_id

    def create(self, slug: str, title: str, parent_id: str | None = None, text: str = "New page.") -> str:
        """A new page, shaped like a recorded one (of the same space, when it has any)."""
        space_id = self.space_ids[slug]
        own = sorted(i["id"] for i in self.pages_of(slug))
        template_id = own[0] if own else sorted(self.items)[0]
        with self.lock:
            self._clock += 1
            number = self._clock
        page_id = f"01a2ffff-{number:04x}-7000-8000-{number:012x}"
        slug_id = f"New{number:07d}"
        item = dict(
            copy.deepcopy(self.items[template_id]), id=page_id, slugId=slug_id, title=title, icon=None
        )
        item.update(parentPageId=parent_id, position=f"z{number:05d}", spaceId=space_id)
        data = dict(copy.deepcopy(self.info[template_id]), id=page_id, slugId=slug_id, title=title, icon=None)
        data.update(parentPageId=parent_id, position=item["position"], deletedAt=None, spaceId=space_id)
        data["content"] = {
            "type": "doc",
            "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}],
        }
        with self.lock:
            self.items[page_id], self.info[page_id] = item, data
        self._update(page_id)
        return page_id

    def add_file(self, name: str, data: bytes) -> str:
        with self.lock:
            self._clock += 1
            attachment_id = f"01a2eeee-{self._clock:04x}-7000-8000-{self._clock:012x}"
            self.files[attachment_id] = (name, data)
        return attachment_id

    def label(self, page_id: str, name: str) -> None:
        """Add a label to a page (its updatedAt does not change, as in Docmost)."""
        with self.lock:
            assert self.labels is not None
            item = self.items[page_id]
            self.labels.setdefault(name, []).append({k: item[k] for k in ("id", "slugId", "title", "icon", "spaceId")})

    def unshare(self, page_id: str) -> None:
        """Delete the share of a page (its page's updatedAt does not change, as in Docmost)."""
        with self.lock:
            assert self.shares is not None
            self.shares = [share for share in self.shares if share["pageId"] != page_id]

    def rename_space(self, slug: str, name: str) -> None:
        with self.lock:
            for space in self.spaces:
                if space["slug"] == slug:
                    space["name"] = name

    # ---- respx and a real loopback server ----------------------------------------------------

    def respx_side_effect(self, request: httpx.Request) -> httpx.Response:
        reply = self.answer(request.method, request.url.path, dict(request.headers), request.content)
        return httpx.Response(reply.status, content=reply.body, headers=reply.headers)

    @contextmanager
    def serve(self) -> Iterator[str]:
        def respond(method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
            reply = self.answer(method, path, headers, body)
            return reply.status, reply.headers, reply.body

        with serve(respond) as url:
            yield url
        if self.gate is not None:
            self.gate.set()


def published_page_count(double: DocmostDouble, slug: str) -> int:
    """Live pages of a recorded space, as docmost-syncd publishes them: empty untitled leaves
    (editor placeholders) left out."""
    pages = double.pages_of(slug)
    parents = {item.get("parentPageId") for item in pages}
    placeholders = 0
    for item in pages:
        content = double.info[item["id"]].get("content") or {}
        blank = not any(node.get("content") for node in content.get("content") or [])
        untitled = not (item.get("title") or "").strip()
        if untitled and blank and item["id"] not in parents:
            placeholders += 1
    return len(pages) - placeholders


Mutation = Callable[[DocmostDouble], None]
