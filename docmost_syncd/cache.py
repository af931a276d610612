"""The page and attachment cache under ``<output>/.docmost-syncd/cache/``.

    pages/<last two characters of the id>/<page id>.json   a page's ProseMirror content, with
                                                            the updatedAt it was fetched at
    spaces/<space id>.json                                  per listed page: updatedAt, the
                                                            content's sha256 and its facts
    files/<attachment id>/<file name>                       attachment bytes (ids are immutable)
    files/<attachment id>/.sha256                           their sha256, written with them

A page is fetched again only when its ``updatedAt`` differs from the cached one. Everything here
can be rebuilt from the server: an unreadable or missing entry is a miss, never an error, and
files are replaced by rename, so a crash leaves either the old entry or the new one (plus, at
worst, a ``*.part`` file that start-up recovery deletes). The cache lives on the output's
filesystem, so attachments are hard-linked into builds, never copied.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docmost_syncd.render import RENDERER_VERSION, PageFacts

CACHE_DIR = "cache"
PART_SUFFIX = ".part"
EMPTY_DOCUMENT: dict[str, Any] = {"type": "doc", "content": []}  # what a page with no content holds


def content_digest(content: Any) -> str:
    """sha256 of a page's content in a canonical JSON form."""
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class PageRecord:
    """What a build needs to know of a page without reading its content."""

    updated_at: str
    content_sha: str
    facts: PageFacts

    def to_json(self) -> dict[str, Any]:
        return {"updatedAt": self.updated_at, "sha256": self.content_sha, "facts": self.facts.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PageRecord:
        return cls(str(data["updatedAt"]), str(data["sha256"]), PageFacts.from_json(data["facts"]))


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + PART_SUFFIX)
    partial.write_bytes(data)
    os.replace(partial, path)


class PageCache:
    def __init__(self, state_dir: Path) -> None:
        self.root = state_dir / CACHE_DIR

    # ---- page contents ---------------------------------------------------------------------

    def _page_path(self, page_id: str) -> Path:
        safe = "".join(c for c in page_id if c.isalnum() or c == "-") or "page"
        return self.root / "pages" / safe[-2:] / f"{safe}.json"

    def content(self, page_id: str, updated_at: str) -> Any | None:
        """The cached content of a page at ``updated_at``; None for a miss (absent, stale, damaged)."""
        try:
            data = json.loads(self._page_path(page_id).read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("id") != page_id or data.get("updatedAt") != updated_at:
            return None
        return data.get("content")

    def store(self, page_id: str, updated_at: str, content: Any) -> str:
        """Keep a page's content (a page that has none holds an empty document); returns its digest."""
        content = content if isinstance(content, dict) else EMPTY_DOCUMENT
        record = {"id": page_id, "updatedAt": updated_at, "content": content}
        _write_atomically(
            self._page_path(page_id),
            json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode(),
        )
        return content_digest(content)

    def forget(self, page_ids: set[str]) -> None:
        for page_id in page_ids:
            self._page_path(page_id).unlink(missing_ok=True)

    # ---- per-space records -----------------------------------------------------------------

    def _records_path(self, space_id: str) -> Path:
        safe = "".join(c for c in space_id if c.isalnum() or c == "-") or "space"
        return self.root / "spaces" / f"{safe}.json"

    def records(self, space_id: str) -> dict[str, PageRecord]:
        """The records of a space's pages; empty when missing, damaged or from another renderer."""
        try:
            data = json.loads(self._records_path(space_id).read_bytes())
            if data.get("renderer") != RENDERER_VERSION:
                return {}
            return {page_id: PageRecord.from_json(entry) for page_id, entry in data["pages"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return {}

    def store_records(self, space_id: str, records: dict[str, PageRecord]) -> None:
        data = {
            "renderer": RENDERER_VERSION,
            "pages": {page_id: record.to_json() for page_id, record in sorted(records.items())},
        }
        _write_atomically(self._records_path(space_id), json.dumps(data, ensure_ascii=False).encode())

    def forget_space(self, space_id: str, page_ids: set[str]) -> None:
        self.forget(page_ids)
        self._records_path(space_id).unlink(missing_ok=True)

    # ---- attachments -----------------------------------------------------------------------

    def _file_dir(self, attachment_id: str) -> Path:
        safe = "".join(c for c in attachment_id if c.isalnum() or c == "-") or "file"
        return self.root / "files" / safe.lower()

    def file(self, attachment_id: str) -> tuple[Path, str] | None:
        """(the cached file, its sha256), or None when the attachment is not cached."""
        folder = self._file_dir(attachment_id)
        try:
            digest = (folder / ".sha256").read_text(encoding="ascii").strip()
            names = [entry for entry in os.listdir(folder) if not entry.startswith(".")]
        except OSError:
            return None
        if len(digest) != 64 or len(names) != 1:
            return None
        return folder / names[0], digest

    def file_destination(self, attachment_id: str) -> Path:
        """Where a download goes: a ``.part`` file that ``keep_file`` moves into place."""
        folder = self._file_dir(attachment_id)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"download{PART_SUFFIX}"

    def keep_file(self, attachment_id: str, file_name: str, downloaded: Path) -> tuple[Path, str]:
        """Move a complete download into the cache; hashes it once."""
        hasher = hashlib.sha256()
        with downloaded.open("rb") as handle:
            while block := handle.read(1024 * 1024):
                hasher.update(block)
        safe_name = file_name.replace("/", "_").lstrip(".") or "file"
        target = downloaded.with_name(safe_name[:200])
        os.replace(downloaded, target)
        _write_atomically(target.with_name(".sha256"), hasher.hexdigest().encode())
        return target, hasher.hexdigest()

    # ---- housekeeping ----------------------------------------------------------------------

    def remove_partials(self) -> list[str]:
        """Start-up recovery: drop what a crash left half-written."""
        removed = []
        if self.root.is_dir():
            for root, _dirs, files in os.walk(self.root):
                for name in files:
                    if name.endswith(PART_SUFFIX):
                        os.unlink(os.path.join(root, name))
                        removed.append(os.path.join(root, name))
        return removed
