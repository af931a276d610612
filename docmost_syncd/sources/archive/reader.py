"""Reading a Docmost export ZIP without trusting it.

Entries are never extracted by their ZIP name: the builder copies them to paths it chose, so no
name (``../..``, ``/etc``, ``C:\\x``, a tab) can write outside the staging folder, by construction;
names are data. What the reader defends against is what reaches the disk and memory: symbolic
links, more entries than ``limits.max_entries``, more bytes than ``limits.max_uncompressed_bytes``,
entries that compress beyond ``limits.max_compression_ratio`` (bombs) or lie about their size.
Any of those fails the whole archive before anything is written.

Docmost itself writes ``/files/<id>/<name>`` and ``Parent//files/...`` (leading and doubled
slashes, normalised here), names of up to 258 bytes, and NFC or NFD spellings of the same title.
"""

from __future__ import annotations

import functools
import json
import stat
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import unquote

from docmost_syncd.config import LimitsSettings
from docmost_syncd.errors import ArchiveError

METADATA_NAME = "docmost-metadata.json"


class Hasher(Protocol):
    def update(self, data: bytes, /) -> None: ...


MAX_TEXT_BYTES = 64 * 1024 * 1024
_RATIO_FLOOR_BYTES = 1024 * 1024  # small entries may compress absurdly well (a page of spaces)


def normalize_entry_name(raw: str) -> str:
    """``/files//x`` → ``files/x``: the slashes Docmost's ZIP writer doubles or leads with.

    Nothing else is changed or refused. Servers before 0.95 put raw titles into entry names (a
    tab, ``:``, ``\\``, ``C:\\x``, a trailing dot...), and such names are data: the reader never
    writes an entry by its name (pages and files are written to paths the layout makes), so no
    name can reach outside the staging folder. Unicode normalisation is not applied either: two
    titles that differ only in it are two pages."""
    if raw.startswith("/") or "//" in raw or raw.endswith("/"):
        raw = "/".join(part for part in raw.split("/") if part)
    return raw


# One folder's name is in the key of every page below it: each spelling is decoded once.
unquote_segment = functools.lru_cache(maxsize=1 << 16)(unquote)


def decode_metadata_key(key: str) -> str:
    """Metadata keys are ``encodeURIComponent``-encoded per segment; ZIP names are not. Decoded
    exactly (an encoded ``/`` — a title's slash on servers before 0.95 — becomes a slash)."""
    return "/".join(unquote_segment(part) for part in key.split("/") if part)


def key_segments(key: str) -> tuple[str, ...]:
    """Where the export's own links place a page: its key's segments, each decoded on its own
    (a title's ``%2F`` stays inside its segment, as Docmost computed those links)."""
    return tuple(unquote_segment(part) for part in key.split("/") if part)


class _LimitedReader:
    """Reads at most ``limit`` bytes; a longer entry is a lie about its size, or a bomb."""

    def __init__(self, source: IO[bytes], limit: int, name: str, archive: str) -> None:
        self._source = source
        self._left = limit
        self._name = name
        self._archive = archive

    def read(self, size: int = -1) -> bytes:
        try:
            chunk = self._source.read(size if size >= 0 else 1024 * 1024)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:  # a damaged member: CRC, inflate, cut short
            raise ArchiveError(f"{self._archive}: entry {self._name!r} is corrupt ({exc})") from None
        self._left -= len(chunk)
        if self._left < 0:
            raise ArchiveError(f"entry {self._name!r} is larger than it declares")
        return chunk


class SafeArchive:
    """A validated view of one export ZIP: ``files`` maps normalised names to entries."""

    def __init__(self, path: Path, limits: LimitsSettings) -> None:
        self.path = path
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise ArchiveError(f"{path.name} is not a readable ZIP: {exc}") from None
        try:
            self.files, self.ambiguous = self._index(limits)
        except ArchiveError as exc:
            self._zip.close()
            raise ArchiveError(f"{path.name}: {exc}") from None

    def _index(self, limits: LimitsSettings) -> tuple[dict[str, zipfile.ZipInfo], set[str]]:
        infos = self._zip.infolist()
        if len(infos) > limits.max_entries:
            raise ArchiveError(f"{len(infos)} entries exceed limits.max_entries ({limits.max_entries})")
        total = 0
        files: dict[str, zipfile.ZipInfo] = {}
        ambiguous: set[str] = set()
        for info in infos:
            # zipfile cuts names at a NUL; the name as stored is in orig_filename.
            name = normalize_entry_name(info.orig_filename)
            mode = info.external_attr >> 16
            if info.create_system == 3 and stat.S_ISLNK(mode):
                raise ArchiveError(f"entry {info.orig_filename!r} is a symbolic link")
            if info.is_dir() or not name:
                continue
            total += info.file_size
            if total > limits.max_uncompressed_bytes:
                raise ArchiveError(
                    f"uncompressed size exceeds limits.max_uncompressed_bytes ({limits.max_uncompressed_bytes})"
                )
            if info.file_size > _RATIO_FLOOR_BYTES:
                ratio = info.file_size / max(info.compress_size, 1)
                if ratio > limits.max_compression_ratio:
                    raise ArchiveError(
                        f"entry {info.filename!r} compresses {ratio:.0f}:1, over "
                        f"limits.max_compression_ratio ({limits.max_compression_ratio:g}); refusing a ZIP bomb"
                    )
            if name in files:
                # Two spellings (a/b and a//b) of one name: neither can be trusted to be a page.
                ambiguous.add(name)
            files[name] = info
        return files, ambiguous

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> SafeArchive:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def names(self) -> Iterator[str]:
        return iter(self.files)

    def open(self, name: str) -> _LimitedReader:
        info = self.files[name]
        try:
            member = self._zip.open(info)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise ArchiveError(f"{self.path.name}: entry {name!r} is corrupt ({exc})") from None
        return _LimitedReader(member, info.file_size, name, self.path.name)

    def read_text(self, name: str) -> str:
        info = self.files[name]
        if info.file_size > MAX_TEXT_BYTES:
            raise ArchiveError(f"{self.path.name}: page {name!r} is over {MAX_TEXT_BYTES} bytes")
        data = self.open(name).read(info.file_size + 1)
        return data.decode("utf-8", errors="replace")

    def copy_to(self, name: str, destination: Path, hasher: Hasher | None = None) -> int:
        """Stream one entry into a file, 1 MiB at a time (never whole in memory), feeding
        ``hasher`` on the way; returns the bytes written."""
        reader = self.open(name)
        written = 0
        with destination.open("wb") as handle:
            while chunk := reader.read(1024 * 1024):
                handle.write(chunk)
                if hasher is not None:
                    hasher.update(chunk)
                written += len(chunk)
        return written

    def metadata(self) -> dict[str, Any] | None:
        """``docmost-metadata.json`` (Docmost ≥ 0.25) or None when the export has none."""
        if METADATA_NAME not in self.files:
            return None
        try:
            data = json.loads(self.read_text(METADATA_NAME))
        except ValueError as exc:
            raise ArchiveError(f"{self.path.name}: {METADATA_NAME} is not valid JSON: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("pages"), dict):
            raise ArchiveError(f"{self.path.name}: {METADATA_NAME} has no 'pages' object")
        return data
