"""A loopback Docmost double for benchmarks: one synthetic space of N pages, served page by page
in the shapes of the recorded 0.95.0 server (tests/fixtures/docmost-0.95.0-pages).

Pages sit in a tree up to 6 levels deep, with Korean and English titles. Every page's
ProseMirror content has a heading with an id, marks, MDX-hostile text, a list, a code block and
a link to another page; every tenth page shows an image (an uploaded PNG), and one page in a
thousand carries a 5 MB file. The double answers login, ``/api/version``, ``/api/spaces``,
``/api/pages/recent`` (newest edit first, 100 a request, Docmost's cursor), ``/api/pages/info``
and ``GET /api/files/<id>/<name>``, and counts every request by route.
"""

from __future__ import annotations

import base64
import bisect
import json
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.loopback import Answer, ServerDeath, serve

SPACE_ID = "01a2184d-0000-7000-8000-000000000001"
TOKEN = "bench-token"
KOREAN = [
    "보안",
    "공통",
    "문서",
    "한글",
    "경로",
    "테스트",
    "설계",
    "운영",
    "배포",
    "가이드",
    "회의록",
    "개발",
]
ENGLISH = ["Guide", "Setup", "Release", "Notes", "API", "Backend", "Frontend", "Onboarding", "Runbook", "FAQ"]
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
BIG_FILE_BYTES = 5 * 1024 * 1024
JSON = {"content-type": "application/json; charset=utf-8"}


@dataclass
class FakePage:
    id: str
    slug_id: str
    title: str
    position: str
    parent: FakePage | None
    updated_at: str = "2026-11-26T00:00:00.000Z"
    children: list[FakePage] = field(default_factory=list)
    edits: int = 0


def generate_tree(pages: int, seed: int = 7, root_share: float = 0.0) -> list[FakePage]:
    """N pages, depth up to 6, ~20 children per parent; returned in creation order. With
    ``root_share``, that share of the pages sits at the space's root (a real 5,000-page space
    had about 990 root items: 0.2)."""
    rng = random.Random(seed)
    made: list[FakePage] = []
    roots: list[FakePage] = []
    parents: list[FakePage] = []
    for index in range(pages):
        words = rng.sample(KOREAN if index % 2 else ENGLISH, 2)
        parent: FakePage | None = None
        if made and index >= 20 and rng.random() >= root_share:
            candidates = [p for p in parents[-60:] if _depth(p) < 5 and len(p.children) < 25]
            parent = rng.choice(candidates) if candidates else None
        siblings = parent.children if parent else roots
        page = FakePage(
            id=f"01a2184d-{index >> 16:04x}-7000-8000-{index:012x}",
            slug_id=f"S{index:09d}",
            title=f"{' '.join(words)} {index}",
            position="a" + format(len(siblings), "06d"),
            parent=parent,
            updated_at=f"2026-11-26T00:00:{index // 1000 % 60:02d}.{index % 1000:03d}Z",
        )
        siblings.append(page)
        made.append(page)
        if rng.random() < 0.06 or index < 20:
            parents.append(page)
    return made


def _depth(page: FakePage) -> int:
    depth = 0
    while page.parent is not None:
        page, depth = page.parent, depth + 1
    return depth


def _text(value: str, *marks: str) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": value}
    if marks:
        node["marks"] = [{"type": mark} for mark in marks]
    return node


class FakeDocmost:
    def __init__(self, pages: list[FakePage], big_files: int, sections: int = 1) -> None:
        self.pages = pages
        self.sections = sections  # headed sections a page (the first holds the list, code and link)
        self.by_id = {page.id: page for page in pages}
        self.index_of = {page.id: index for index, page in enumerate(pages)}
        self.requests: Counter[str] = Counter()
        self.lock = threading.Lock()
        every = max(1, len(pages) // big_files) if big_files else 0
        self.big = {page.id for index, page in enumerate(pages) if every and index % every == 1}
        self.files: dict[str, int] = {}  # attachment id → size
        self._ordered: list[FakePage] | None = None  # newest edit first; None after an edit
        self._keys: list[tuple[str, str]] = []  # their (updatedAt, id), ascending, for bisect
        self._info: dict[str, bytes] = {}  # page id → its /api/pages/info answer, made once
        self.death: tuple[str, int] | None = None  # (route, requests answered): then it dies
        self.died_at: float | None = None  # time.monotonic() of the death

    def content(self, page: FakePage) -> dict[str, Any]:
        index = self.index_of[page.id]
        target = self.pages[(index * 7 + 3) % len(self.pages)]
        nodes: list[dict[str, Any]] = [
            {"type": "heading", "attrs": {"level": 2, "id": f"h{index}"}, "content": [_text(f"Section {index}")]},
            {"type": "paragraph", "content": [
                _text(f"Page {index} of the benchmark space. Replace "), _text("{token}", "code"),
                _text(" and <value>, "), _text("bold", "bold"), _text(" and "), _text("italic", "italic"), _text("."),
            ]},
            {"type": "bulletList", "content": [
                {"type": "listItem", "content": [{"type": "paragraph", "content": [_text("item one")]}]},
                {"type": "listItem", "content": [{"type": "paragraph", "content": [_text("item two")]}]},
            ]},
            {"type": "codeBlock", "attrs": {"language": "python"}, "content": [_text("print({'a': 1})")]},
            {"type": "paragraph", "content": [_text("See "), {
                **_text(target.title), "marks": [{"type": "link", "attrs": {
                    "href": f"/s/bench/p/x-{target.slug_id}#h{self.index_of[target.id]}"}}]}, _text(".")]},
        ]  # fmt: skip
        if index % 10 == 0:
            attachment = f"01a2184d-{index >> 16:04x}-7aaa-8000-{index:012x}"
            self.files[attachment] = len(PNG)
            nodes.append({"type": "image", "attrs": {
                "src": f"/api/files/{attachment}/image_{index}.png", "attachmentId": attachment,
                "alt": f"image {index}", "align": "center"}})  # fmt: skip
        if page.id in self.big:
            attachment = f"01a2184d-{index >> 16:04x}-7bbb-8000-{index:012x}"
            self.files[attachment] = BIG_FILE_BYTES
            nodes.append({"type": "attachment", "attrs": {
                "url": f"/api/files/{attachment}/dump_{index}.bin", "attachmentId": attachment,
                "name": f"dump_{index}.bin", "size": BIG_FILE_BYTES}})  # fmt: skip
        for section in range(2, self.sections + 1):
            nodes += [
                {"type": "heading", "attrs": {"level": 2, "id": f"h{index}-{section}"},
                 "content": [_text(f"{target.title.split()[0]} section {section}")]},
                {"type": "paragraph", "content": [_text(f"Section {section} of page {index}: a short paragraph "
                                                        f"about {page.title}, as wiki pages have.")]},
            ]  # fmt: skip
        nodes.extend({"type": "paragraph", "content": [_text(f"Edit {n}.")]} for n in range(page.edits))
        return {"type": "doc", "content": nodes}

    def _item(self, page: FakePage) -> dict[str, Any]:
        return {
            "id": page.id, "slugId": page.slug_id, "title": page.title, "icon": None, "coverPhoto": None,
            "position": page.position, "parentPageId": page.parent.id if page.parent else None,
            "spaceId": SPACE_ID, "isBase": False, "updatedAt": page.updated_at, "deletedAt": None,
            "space": {"id": SPACE_ID, "name": "Bench", "slug": "bench"},
        }  # fmt: skip

    def edit(self, index: int) -> FakePage:
        """A user edits one page: a paragraph more, a newer updatedAt."""
        page = self.pages[index]
        page.edits += 1
        page.updated_at = f"2099-01-01T00:00:{page.edits:02d}.000Z"
        self._ordered = None
        self._info.pop(page.id, None)
        return page

    def answer(self, method: str, path: str, body: dict[str, Any]) -> Answer:
        route = "/api/files" if path.startswith("/api/files/") else path
        with self.lock:
            self.requests[route] += 1
            if self.death is not None and route == self.death[0] and self.requests[route] > self.death[1]:
                self.died_at = self.died_at or time.monotonic()
            if self.died_at is not None:
                raise ServerDeath  # as a killed server: refuses connections, drops those open
        if path == "/api/auth/login":
            return 200, {**JSON, "set-cookie": f"authToken={TOKEN}; Path=/"}, b'{"success":true,"status":200}'
        if path == "/api/version":
            return (
                200,
                JSON,
                b'{"data":{"currentVersion":"0.95.0","latestVersion":0},"success":true,"status":200}',
            )
        if path == "/api/spaces":
            space = {"id": SPACE_ID, "name": "Bench", "slug": "bench", "membership": {"role": "reader"}}
            return (
                200,
                JSON,
                json.dumps({"data": {"items": [space], "meta": {"hasNextPage": False}}}).encode(),
            )
        if path == "/api/pages/recent":
            return 200, JSON, self._recent(body)
        if path == "/api/pages/info":
            page = self.by_id[body["pageId"]]
            if page.id not in self._info:
                data = dict(self._item(page), content=self.content(page))
                self._info[page.id] = json.dumps({"data": data, "success": True, "status": 200}).encode()
            return 200, JSON, self._info[page.id]
        if method == "GET" and route == "/api/files":
            size = self.files.get(unquote(path.split("/")[3]), 0)
            return (
                200,
                {"content-type": "application/octet-stream"},
                PNG if size == len(PNG) else b"\0" * size,
            )
        return 404, JSON, b'{"statusCode":404,"message":"Not found"}'

    def _recent(self, body: dict[str, Any]) -> bytes:
        if self._ordered is None:
            self._ordered = sorted(self.pages, key=lambda p: (p.updated_at, p.id), reverse=True)
            self._keys = [(p.updated_at, p.id) for p in reversed(self._ordered)]
        ordered = self._ordered
        if body.get("cursor"):
            raw = base64.urlsafe_b64decode(body["cursor"] + "==").decode()
            fields = dict(part.split("=", 1) for part in raw.split("&"))
            after = (unquote(fields["updatedAt"]), fields["id"])
            older = bisect.bisect_left(self._keys, after)  # how many are older than the cursor
            ordered = ordered[len(ordered) - older :]
        chunk, more = ordered[:100], len(ordered) > 100
        cursor = None
        if more:
            last = chunk[-1]
            cursor = base64.urlsafe_b64encode(
                f"updatedAt={quote(last.updated_at, safe='')}&id={last.id}".encode()
            )
        meta = {"limit": 100, "hasNextPage": more, "nextCursor": cursor.decode() if cursor else None}
        return json.dumps(
            {"data": {"items": [self._item(p) for p in chunk], "meta": meta}}, ensure_ascii=False
        ).encode()

    @contextmanager
    def serve(self) -> Iterator[str]:
        def respond(method: str, path: str, _headers: dict[str, str], body: bytes) -> Answer:
            return self.answer(method, path, json.loads(body or b"{}"))

        with serve(respond) as url:
            yield url
