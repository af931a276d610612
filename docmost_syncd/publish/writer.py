"""Writing one space build into its staging folder, the same way for ``sync`` and ``convert``.

Every file of a build is recorded in a manifest: its path, the key of the inputs it was made
from, and the sha256 of its bytes. The manifest travels inside the completion marker, so the
published copy always says exactly what it holds. The next build of the space hard-links every
file whose key is unchanged from the published copy instead of writing it again (a hard link
costs a directory entry, not the bytes), and the digest over (path, sha256) decides whether a
build differs from what is published at all.

A build may also start from the space's spare (its retired copy, see swap.py) instead of an
empty folder: ``present`` is that copy's manifest. A file it holds with the same key is kept
as it is; any other file there is replaced (unlinked, then created: it may share its inode with
the published copy, which must never change), and ``settle`` removes what the build did not claim.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from docmost_syncd.errors import BuildError

METADATA_FILE = "_metadata.json"
CATEGORY_FILE = "_category_.json"
PAGE_EXTENSIONS = (".md", ".mdx")


class Hasher(Protocol):
    def update(self, data: bytes, /) -> None: ...


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    key: str  # what the file was made from; equal keys mean equal bytes
    sha256: str
    size: int

    def to_json(self) -> list[str | int]:
        return [self.key, self.sha256, self.size]


Manifest = dict[str, ManifestEntry]


def manifest_from_json(data: object, like: Manifest | None = None) -> Manifest:
    """The manifest of a complete build (its marker); a build without one (an older release,
    or a damaged marker) has none, and then nothing is reused from it. An entry equal to the
    one ``like`` has for its path is that entry: a spare's manifest shares most of the
    published one's, instead of holding a second copy of 20,000 digests."""
    if not isinstance(data, dict):
        return {}
    like = like or {}
    manifest: Manifest = {}
    for path, entry in data.items():
        if isinstance(path, str) and isinstance(entry, list) and len(entry) == 3:
            parsed = ManifestEntry(str(entry[0]), str(entry[1]), int(entry[2]))
            known = like.get(path)
            manifest[path] = known if known == parsed else parsed
    return manifest


def json_lines(data: Any) -> bytes:
    """Compact JSON (json's C encoder; indenting would take the pure-Python one, five times slower
    on the _metadata.json of a large space), with a newline at the end."""
    return (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class StagingWriter:
    """Writes a build, creating each folder once, and records every file in the manifest.

    ``live`` is the published copy of the same space and ``published`` its manifest: a file
    whose key matches there is hard-linked instead of written. ``present`` is the manifest of
    the files already in ``root`` when it is a recycled spare."""

    def __init__(
        self,
        root: Path,
        live: Path | None = None,
        published: Manifest | None = None,
        present: Manifest | None = None,
    ) -> None:
        self.root = root
        self.published = published or {}
        self.present = present or {}
        # Plain strings on the hot path: a build of 20,000 pages makes as many paths.
        self._root = str(root)
        self._live = str(live) if live is not None else None
        self.bytes_written = 0
        self.files_written = 0
        self.files_linked = 0
        self.files_kept = 0  # already in the recycled spare with the same key
        self.manifest: Manifest = {}
        self._folders: set[str] = set()

    def _path(self, relative: str) -> str:
        """Where ``relative`` is created: its folder made, and in a recycled spare whatever
        stood there removed (never written through)."""
        self._check_unclaimed(relative)
        folder, _slash, _name = relative.rpartition("/")
        if folder not in self._folders:
            self._make_folder(folder)
            self._folders.add(folder)
        target = os.path.join(self._root, relative)
        if self.present:
            try:
                os.unlink(target)
            except FileNotFoundError:
                pass
            except IsADirectoryError:  # a folder of the spare where this build has a file
                shutil.rmtree(target)
        return target

    def _check_unclaimed(self, relative: str) -> None:
        if relative in self.manifest:
            raise BuildError(f"two files of the build claim the path {relative}")

    def _make_folder(self, folder: str) -> None:
        path = os.path.join(self._root, folder)
        try:
            os.makedirs(path, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            # A file of the recycled spare stands where this build has a folder: it is stale,
            # since no path of one build is both.
            prefix = self._root
            for part in folder.split("/"):
                prefix = os.path.join(prefix, part)
                if os.path.islink(prefix) or (os.path.lexists(prefix) and not os.path.isdir(prefix)):
                    os.unlink(prefix)
            os.makedirs(path, exist_ok=True)

    def reuse(self, relative: str, key: str) -> bool:
        """Keep ``relative`` when the recycled spare holds it from the same inputs, or hard-link
        it from the published copy when that was made from them."""
        kept = self.present.get(relative)
        if kept is not None and kept.key == key:
            self._check_unclaimed(relative)
            self.manifest[relative] = kept
            self.files_kept += 1
            return True
        entry = self.published.get(relative)
        if entry is None or entry.key != key or self._live is None:
            return False
        try:
            os.link(os.path.join(self._live, relative), self._path(relative))
        except FileNotFoundError:
            return False  # the published copy lost the file: build it again
        self.manifest[relative] = entry
        self.files_linked += 1
        return True

    def write(self, relative: str, data: bytes, key: str | None = None) -> None:
        """Write ``data``; when the published copy already holds exactly these bytes, link it."""
        digest = sha256_bytes(data)
        if self.reuse(relative, key or digest):
            return
        with open(self._path(relative), "xb") as handle:
            handle.write(data)
        self._written(relative, ManifestEntry(key or digest, digest, len(data)))

    def link(self, relative: str, source: Path, key: str, sha256: str) -> None:
        """A file that already exists on this filesystem (the attachment cache): link, never copy."""
        if self.reuse(relative, key):
            return
        target = self._path(relative)
        os.link(source, target)
        self.files_linked += 1
        self.manifest[relative] = ManifestEntry(key, sha256, os.stat(target).st_size)

    def write_pieces(self, relative: str, pieces: Callable[[], Iterable[str]]) -> None:
        """Write the text ``pieces()`` yields, without ever holding all of it: hashed in a first
        pass (an unchanged file is then reused), written in a second."""
        hasher = hashlib.sha256()
        for piece in pieces():
            hasher.update(piece.encode())
        digest = hasher.hexdigest()
        if self.reuse(relative, digest):
            return
        size = 0
        with open(self._path(relative), "xb") as handle:
            for piece in pieces():
                size += handle.write(piece.encode())
        self._written(relative, ManifestEntry(digest, digest, size))

    def stream(self, relative: str, fill: Callable[[Path, Hasher], int]) -> None:
        """A file filled by ``fill`` (a ZIP entry copied in chunks), hashed on the way."""
        hasher = hashlib.sha256()
        size = fill(Path(self._path(relative)), hasher)
        digest = hasher.hexdigest()
        self._written(relative, ManifestEntry(digest, digest, size))

    def _written(self, relative: str, entry: ManifestEntry) -> None:
        """Count a file this build wrote and record it in the manifest."""
        self.bytes_written += entry.size
        self.files_written += 1
        self.manifest[relative] = entry

    def settle(self) -> set[str]:
        """Every file in the build folder, after removing what a recycled spare still held that
        this build did not claim, and every folder left empty. One walk, bottom up."""
        recycled = bool(self.present)
        on_disk: set[str] = set()
        holding: set[str] = set()  # folders with a file somewhere below them
        prefix = len(self._root) + 1
        for root, dirs, files in os.walk(self._root, topdown=False):
            folder = root[prefix:]
            for name in files:
                relative = f"{folder}/{name}" if folder else name
                if recycled and relative not in self.manifest:
                    os.unlink(os.path.join(root, name))
                else:
                    on_disk.add(relative)
                    holding.add(folder)
            for name in dirs:
                sub = f"{folder}/{name}" if folder else name
                if sub in holding:
                    holding.add(folder)
                elif os.path.islink(path := os.path.join(root, name)):
                    os.unlink(path)  # never made by a build; nothing in a spare to follow
                else:
                    os.rmdir(path)
        return on_disk

    def digest(self) -> str:
        """A content digest of the built tree, to skip swaps that would change nothing."""
        total = hashlib.sha256()
        for relative, entry in sorted(self.manifest.items()):
            total.update(f"{relative}\0{entry.sha256}\0".encode())
        return total.hexdigest()

    def manifest_json(self) -> Iterator[str]:
        """The manifest as JSON text, a thousand entries at a time, as ``json.dumps`` writes the
        whole object (its C encoder per piece, a piece small against the whole)."""
        entries = sorted(self.manifest.items())
        yield "{"
        for start in range(0, len(entries), 1000):
            piece = json.dumps({path: entry.to_json() for path, entry in entries[start : start + 1000]})
            yield (", " if start else "") + piece[1:-1]
        yield "}"

    def total_bytes(self) -> int:
        """The size of the whole build, linked files included."""
        return sum(entry.size for entry in self.manifest.values())
