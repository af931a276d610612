"""The page and attachment cache under ``<output>/.docmost-syncd/cache/``.

    pages.sqlite                          page contents (ProseMirror JSON) by page id, with the
                                          updatedAt they were fetched at; and per space, each
                                          listed page's record: updatedAt, content sha256, facts
    files/<attachment id>/<file name>     attachment bytes (ids are immutable)
    files/<attachment id>/.sha256         their sha256, written with them
    partial/                              downloads in progress (emptied when a run starts)

A page is fetched again only when its ``updatedAt`` differs from the cached one. Contents live in
one SQLite database (Python's own sqlite3, write-ahead log): a page costs a row, not a file, so
the cache does not double the file creations a build already pays for. Everything here can be
rebuilt from the server: an unreadable row is a miss, an unreadable database is started afresh,
never an error. Attachments stay files on the output's filesystem, so builds hard-link them.

The cache belongs to one run (``run.run_sync`` opens and closes it) and holds only what may still
be published, since whoever serves the output folder may serve its hidden files too: the rows of
pages no longer listed go within the run that notices (their text zeroed on disk, SQLite's
``secure_delete``), attachments no published space shows go at the end of a run that changed
anything (``keep_files``). Closing it checkpoints the write-ahead log into the database and
removes it, and rebuilds the database when more than half of it is free pages, so the file
stays within twice its content.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from docmost_syncd.log import get_logger
from docmost_syncd.model import PageFacts, PageRecord

CACHE_DIR = "cache"
DATABASE = "pages.sqlite"
PART_SUFFIX = ".part"
PARTIAL_DIR = "partial"  # downloads in progress
EMPTY_DOCUMENT: dict[str, Any] = {"type": "doc", "content": []}  # what a page with no content holds
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS pages (id TEXT PRIMARY KEY, updated_at TEXT NOT NULL, content TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS records (space_id TEXT NOT NULL, page_id TEXT NOT NULL, renderer INTEGER NOT NULL,"
    " updated_at TEXT NOT NULL, sha256 TEXT NOT NULL, facts TEXT NOT NULL, PRIMARY KEY (space_id, page_id))",
    # who last changed each page, at its updatedAt (a NULL name: Docmost did not say)
    "CREATE TABLE IF NOT EXISTS authors (id TEXT PRIMARY KEY, updated_at TEXT NOT NULL, name TEXT)",
)


def _serialize(content: Any) -> str:
    return json.dumps(content, ensure_ascii=False, separators=(",", ":"))


def content_digest(content: Any) -> str:
    """sha256 of a page's content as the cache keeps it (key order as Docmost sent it: the same
    content read back from the cache gives the same digest)."""
    return _digest(_serialize(content))


def _digest(serialized: str) -> str:
    return hashlib.sha256(serialized.encode()).hexdigest()


class PageCache:
    """Thread-safe: the space jobs of a run share it (one connection, one lock)."""

    def __init__(self, state_dir: Path) -> None:
        self.root = state_dir / CACHE_DIR
        self.database = self.root / DATABASE
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None

    # ---- the database ------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        self.root.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.database, check_same_thread=False, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")  # a lost last write is a cache miss, not damage
        connection.execute("PRAGMA secure_delete=ON")  # a forgotten page's text does not stay on disk
        for statement in _SCHEMA:
            connection.execute(statement)
        return connection

    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            try:
                self._connection = self._open()
            except sqlite3.DatabaseError as exc:
                get_logger(component="cache").warning(
                    "cache.reset", reason=f"{self.database} is unreadable ({exc}); starting afresh"
                )
                for suffix in ("", "-wal", "-shm"):
                    (self.root / f"{DATABASE}{suffix}").unlink(missing_ok=True)
                self._connection = self._open()
        return self._connection

    def close(self) -> None:
        """Done for this run: free pages given back when they are over half the file, the
        write-ahead log checkpointed and removed (SQLite does both on the last close)."""
        with self._lock:
            connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            free, total = (connection.execute(f"PRAGMA {name}").fetchone()[0] for name in ("freelist_count", "page_count"))
            if total and free * 2 > total:
                connection.execute("VACUUM")
        finally:
            connection.close()

    # ---- page contents ---------------------------------------------------------------------

    def content(self, page_id: str, updated_at: str) -> Any | None:
        """The cached content of a page at ``updated_at``; None for a miss (absent, stale, damaged)."""
        try:
            with self._lock:
                row = (
                    self._db()
                    .execute("SELECT updated_at, content FROM pages WHERE id = ?", (page_id,))
                    .fetchone()
                )
            if row is None or row[0] != updated_at:
                return None
            content = json.loads(row[1])
        except (sqlite3.DatabaseError, ValueError):
            return None
        return content if isinstance(content, dict) else None

    def author(self, page_id: str, updated_at: str) -> tuple[bool, str | None]:
        """(whether the cache knows who changed the page last at ``updated_at``, the name)."""
        try:
            with self._lock:
                row = self._db().execute("SELECT updated_at, name FROM authors WHERE id = ?", (page_id,)).fetchone()
        except sqlite3.DatabaseError:
            return False, None
        return (True, row[1]) if row is not None and row[0] == updated_at else (False, None)

    def store(self, page_id: str, updated_at: str, content: Any, author: str | None = None) -> str:
        """Keep a page's content (a page that has none holds an empty document) and who changed
        it last; returns the content's digest."""
        data = _serialize(content if isinstance(content, dict) else EMPTY_DOCUMENT)
        with self._lock:
            self._db().execute(
                "INSERT OR REPLACE INTO authors (id, updated_at, name) VALUES (?, ?, ?)", (page_id, updated_at, author)
            )
            self._db().execute(
                "INSERT OR REPLACE INTO pages (id, updated_at, content) VALUES (?, ?, ?)",
                (page_id, updated_at, data),
            )
        return _digest(data)  # the stored text: serialized once

    def forget(self, page_ids: Iterable[str]) -> None:
        with self._lock:
            ids = [(page_id,) for page_id in page_ids]
            self._db().executemany("DELETE FROM pages WHERE id = ?", ids)
            self._db().executemany("DELETE FROM authors WHERE id = ?", ids)

    # ---- per-space records -----------------------------------------------------------------

    def records(self, space_id: str, renderer: int) -> dict[str, PageRecord]:
        """The records of a space's pages (those of another ``renderer`` version are left out);
        a damaged one is left out too, and the page's facts are worked out again."""
        try:
            with self._lock:
                rows = (
                    self._db()
                    .execute(
                        "SELECT r.page_id, r.updated_at, r.sha256, r.facts, a.id, a.name FROM records r"
                        " LEFT JOIN authors a ON a.id = r.page_id AND a.updated_at = r.updated_at"
                        " WHERE r.space_id = ? AND r.renderer = ?",
                        (space_id, renderer),
                    )
                    .fetchall()
                )
        except sqlite3.DatabaseError:
            return {}
        records = {}
        for page_id, updated_at, digest, facts, known, author in rows:
            if known is None:
                continue  # who changed it last is not known (an older cache): fetched again
            try:
                records[page_id] = PageRecord(updated_at, digest, PageFacts.from_json(json.loads(facts)), author)
            except (ValueError, KeyError, TypeError, AttributeError):
                continue
        return records

    def store_records(
        self, space_id: str, records: dict[str, PageRecord], changed: Iterable[str], renderer: int
    ) -> None:
        """Write the records of the pages in ``changed``; drop those of pages no longer listed."""
        rows = [
            (space_id, page_id, renderer, r.updated_at, r.content_sha, json.dumps(r.facts.to_json()))
            for page_id in changed
            if (r := records.get(page_id)) is not None
        ]
        with self._lock:
            db = self._db()
            db.execute("BEGIN")
            try:
                listed = {
                    row[0]
                    for row in db.execute("SELECT page_id FROM records WHERE space_id = ?", (space_id,))
                }
                gone = [(space_id, page_id) for page_id in listed - set(records)]
                db.executemany("DELETE FROM records WHERE space_id = ? AND page_id = ?", gone)
                db.executemany("INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?, ?)", rows)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def forget_space(self, space_id: str) -> None:
        with self._lock:
            db = self._db()
            page_ids = [
                (row[0],) for row in db.execute("SELECT page_id FROM records WHERE space_id = ?", (space_id,))
            ]
            db.executemany("DELETE FROM pages WHERE id = ?", page_ids)
            db.executemany("DELETE FROM authors WHERE id = ?", page_ids)
            db.execute("DELETE FROM records WHERE space_id = ?", (space_id,))

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
        """Where a download goes: a ``.part`` file of its own in one folder, which ``keep_file``
        moves into place (start-up recovery then empties one folder instead of walking them all)."""
        partial = self.root / PARTIAL_DIR
        partial.mkdir(parents=True, exist_ok=True)
        return partial / f"{self._file_dir(attachment_id).name}.{uuid.uuid4().hex[:8]}{PART_SUFFIX}"

    def keep_file(self, attachment_id: str, file_name: str, downloaded: Path) -> tuple[Path, str]:
        """Move a complete download into the cache; hashes it once."""
        with downloaded.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()  # one reused buffer
        folder = self._file_dir(attachment_id)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        safe_name = file_name.replace("/", "_").lstrip(".") or "file"
        target = folder / safe_name[:200]
        os.replace(downloaded, target)
        sha_file = folder / (".sha256" + PART_SUFFIX)
        sha_file.write_text(digest, encoding="ascii")
        os.replace(sha_file, folder / ".sha256")  # last: without it the folder is a miss
        return target, digest

    def keep_files(self, attachment_ids: Iterable[str]) -> list[str]:
        """Drop every cached attachment but ``attachment_ids``; returns the ids dropped."""
        wanted = {self._file_dir(attachment_id).name for attachment_id in attachment_ids}
        files = self.root / "files"
        dropped = sorted(name for name in (os.listdir(files) if files.is_dir() else []) if name not in wanted)
        for name in dropped:
            shutil.rmtree(files / name)
        return dropped

    # ---- housekeeping ----------------------------------------------------------------------

    def remove_partials(self) -> list[str]:
        """Drop downloads a crash left half-written (a run starts with none in progress)."""
        partial = self.root / PARTIAL_DIR
        removed = sorted(str(path) for path in partial.iterdir()) if partial.is_dir() else []
        for path in removed:
            os.unlink(path)
        return removed
