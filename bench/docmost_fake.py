"""A loopback Docmost double for benchmarks: a synthetic space of N pages, in the exact layout of
the real 0.95.0 exports (tests/fixtures/docmost-0.95.0): ``Title.md`` next to ``Title/`` for
children, ``/files/<id>/<name>`` (leading slash) for attachments of root pages and
``Parent//files/...`` (double slash) below, ``docmost-metadata.json`` with percent-encoded keys,
relative percent-encoded page links, Korean and English titles.

It answers login, the space list, sidebar pages (cursor-paginated, 100 a page), the export
(streamed from a file on disk in chunks, without Content-Length) and recent pages, and counts
every request by path.
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.loopback import Answer, serve

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


@dataclass
class FakePage:
    id: str
    slug_id: str
    title: str
    position: str
    parent: FakePage | None
    children: list[FakePage] = field(default_factory=list)
    path: str = ""  # ZIP path of the .md

    @property
    def folder(self) -> str:
        return self.path[:-3]


def _position(index: int) -> str:
    # Fractional-index-like keys that sort byte-wise in creation order.
    return "a" + format(index, "06d")


def generate_tree(pages: int, seed: int = 7) -> list[FakePage]:
    """N pages, depth up to 6, ~20 children per parent."""
    rng = random.Random(seed)
    all_pages: list[FakePage] = []
    roots: list[FakePage] = []
    parents: list[FakePage] = []
    for index in range(pages):
        words = rng.sample(KOREAN if index % 2 else ENGLISH, 2)
        title = f"{' '.join(words)} {index}"
        parent: FakePage | None = None
        if all_pages and index >= 20:
            candidates = [p for p in parents[-60:] if _depth(p) < 5 and len(p.children) < 25]
            parent = rng.choice(candidates) if candidates else None
        page = FakePage(
            id=f"01a2184d-{index:04x}-7000-8000-{index:012x}"[:36],
            slug_id=f"S{index:09d}",
            title=title,
            position=_position(len(parent.children) if parent else len(roots)),
            parent=parent,
        )
        (parent.children if parent else roots).append(page)
        all_pages.append(page)
        if rng.random() < 0.06 or index < 20:
            parents.append(page)
    for page in all_pages:
        prefix = page.parent.folder + "/" if page.parent else ""
        page.path = f"{prefix}{page.title}.md"
    return roots


def _depth(page: FakePage) -> int:
    depth = 0
    while page.parent is not None:
        page, depth = page.parent, depth + 1
    return depth


def walk(roots: list[FakePage]) -> Iterator[FakePage]:
    stack = list(reversed(roots))
    while stack:
        page = stack.pop()
        yield page
        stack.extend(reversed(page.children))


def write_export(roots: list[FakePage], target: Path, big_attachments: int, seed: int = 7) -> dict[str, int]:
    """The space export ZIP; returns counts (pages, images, big attachments, bytes)."""
    rng = random.Random(seed)
    pages = list(walk(roots))
    metadata: dict[str, Any] = {"exportedAt": "2026-11-26T00:00:00.000Z", "source": "docmost", "version": "0.95.0",
                                "pages": {}}  # fmt: skip
    big_every = max(1, len(pages) // big_attachments) if big_attachments else 0
    counts = Counter[str]()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for index, page in enumerate(pages):
            folder = page.parent.folder if page.parent else ""
            files_prefix = f"{folder}//files" if folder else "/files"
            body = [
                f"# {page.title}",
                "",
                f"Page {index} of the benchmark space. Replace {{token}} and <value>.",
                "",
            ]
            body += ["- item one", "- item two", "", "```python", "print({'a': 1})", "```", ""]
            link_to = pages[(index * 7 + 3) % len(pages)]
            rel = os.path.relpath(link_to.path, folder or ".")
            body.append(f"See [{link_to.title}]({'/'.join(quote(part) for part in rel.split('/'))}).")
            if index % 10 == 0:
                attachment_id = f"01a2184d-{index:04x}-7aaa-8000-{index:012x}"[:36]
                archive.writestr(f"{files_prefix}/{attachment_id}/image_{index}.png", PNG)
                body.append(f"\n![image_{index}.png](files/{attachment_id}/image_{index}.png)")
                counts["images"] += 1
            if big_every and index % big_every == 1 and counts["big"] < big_attachments:
                attachment_id = f"01a2184d-{index:04x}-7bbb-8000-{index:012x}"[:36]
                with archive.open(f"{files_prefix}/{attachment_id}/dump_{index}.bin", "w") as handle:
                    for _ in range(5):
                        handle.write(rng.randbytes(1024 * 1024))
                body.append(f"\n[dump_{index}.bin](files/{attachment_id}/dump_{index}.bin)")
                counts["big"] += 1
            archive.writestr(page.path, "\n".join(body) + "\n")
            key = "/".join(quote(part, safe="()'!*~") for part in page.path.split("/"))
            parent_key = (
                "/".join(quote(part, safe="()'!*~") for part in page.parent.path.split("/"))
                if page.parent
                else None
            )
            metadata["pages"][key] = {"pageId": page.id, "slugId": page.slug_id, "icon": None,
                                      "position": page.position, "parentPath": parent_key,
                                      "createdAt": "2026-11-26T00:00:00.000Z",
                                      "updatedAt": "2026-11-26T00:00:00.000Z"}  # fmt: skip
        archive.writestr("docmost-metadata.json", json.dumps(metadata, ensure_ascii=False))
    counts["pages"] = len(pages)
    counts["bytes"] = target.stat().st_size
    return dict(counts)


def _item(page: FakePage) -> dict[str, Any]:
    return {
        "id": page.id, "slugId": page.slug_id, "title": page.title, "icon": None, "position": page.position,
        "parentPageId": page.parent.id if page.parent else None, "spaceId": SPACE_ID, "creatorId": None,
        "isBase": False, "deletedAt": None, "hasChildren": bool(page.children), "canEdit": True,
    }  # fmt: skip


class FakeDocmost:
    def __init__(self, roots: list[FakePage], export: Path) -> None:
        self.roots = roots
        self.by_id = {page.id: page for page in walk(roots)}
        self.export = export
        self.requests: Counter[str] = Counter()
        self.lock = threading.Lock()

    def answer(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes | Path]:
        with self.lock:
            self.requests[path] += 1
        envelope = {"content-type": "application/json"}
        if path == "/api/auth/login":
            return (
                200,
                {**envelope, "set-cookie": f"authToken={TOKEN}; Path=/"},
                b'{"success":true,"status":200}',
            )
        if path == "/api/spaces":
            space = {"id": SPACE_ID, "name": "Bench", "slug": "bench", "membership": {"role": "admin"}}
            data = {"items": [space], "meta": {"hasNextPage": False, "nextCursor": None}}
            return 200, envelope, json.dumps({"data": data}).encode()
        if path == "/api/pages/sidebar-pages":
            siblings = self.by_id[body["pageId"]].children if body.get("pageId") else self.roots
            start = int(body.get("cursor") or 0)
            chunk = siblings[start : start + 100]
            more = start + 100 < len(siblings)
            data = {"items": [_item(p) for p in chunk],
                    "meta": {"hasNextPage": more, "nextCursor": str(start + 100) if more else None}}  # fmt: skip
            return 200, envelope, json.dumps({"data": data}).encode()
        if path == "/api/pages/recent":
            newest = next(iter(self.by_id.values()))
            item = dict(_item(newest), updatedAt="2026-11-26T00:00:00.000Z")
            data = {"items": [item], "meta": {"hasNextPage": False, "nextCursor": None}}
            return 200, envelope, json.dumps({"data": data}).encode()
        if path == "/api/spaces/export":
            return 200, {"content-type": "application/zip"}, self.export
        return 404, envelope, b'{"statusCode":404,"message":"Not found"}'

    @contextmanager
    def serve(self) -> Iterator[str]:
        def respond(_method: str, path: str, _headers: dict[str, str], body: bytes) -> Answer:
            return self.answer(path, json.loads(body or b"{}"))

        with serve(respond) as url:
            yield url
