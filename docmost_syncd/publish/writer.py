"""Writing one space build into its staging folder, the same way for ``sync`` and ``convert``.

Every file of a build is recorded in a manifest: its path, the key of the inputs it was made
from, and the sha256 of its bytes. The manifest travels inside the completion marker, so the
published copy always says exactly what it holds. The next build of the space hard-links every
file whose key is unchanged from the published copy instead of writing it again (a hard link
costs a directory entry, not the bytes), and the digest over (path, sha256) decides whether a
build differs from what is published at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from docmost_syncd.errors import BuildError
from docmost_syncd.model import Page, SpaceModel

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


def manifest_from_json(data: object) -> Manifest:
    """The manifest of a published build (its marker); a build without one (an older release,
    or a damaged marker) has none, and then nothing is reused from it."""
    if not isinstance(data, dict):
        return {}
    manifest: Manifest = {}
    for path, entry in data.items():
        if isinstance(path, str) and isinstance(entry, list) and len(entry) == 3:
            manifest[path] = ManifestEntry(str(entry[0]), str(entry[1]), int(entry[2]))
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
    whose key matches there is hard-linked instead of written."""

    def __init__(self, root: Path, live: Path | None = None, published: Manifest | None = None) -> None:
        self.root = root
        self.live = live
        self.published = published or {}
        # Plain strings on the hot path: a build of 20,000 pages makes as many paths.
        self._root = str(root)
        self._live = str(live) if live is not None else None
        self.bytes_written = 0
        self.files_written = 0
        self.files_linked = 0
        self.manifest: Manifest = {}
        self._folders: set[str] = set()

    def _path(self, relative: str) -> str:
        if relative in self.manifest:
            raise BuildError(f"two files of the build claim the path {relative}")
        folder, _slash, _name = relative.rpartition("/")
        if folder not in self._folders:
            os.makedirs(os.path.join(self._root, folder), exist_ok=True)
            self._folders.add(folder)
        return os.path.join(self._root, relative)

    def reuse(self, relative: str, key: str) -> bool:
        """Hard-link ``relative`` from the published copy when it was made from the same inputs."""
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
        with open(self._path(relative), "wb") as handle:
            handle.write(data)
        self.bytes_written += len(data)
        self.files_written += 1
        self.manifest[relative] = ManifestEntry(key or digest, digest, len(data))

    def link(self, relative: str, source: Path, key: str, sha256: str) -> None:
        """A file that already exists on this filesystem (the attachment cache): link, never copy."""
        if self.reuse(relative, key):
            return
        target = self._path(relative)
        os.link(source, target)
        self.files_linked += 1
        self.manifest[relative] = ManifestEntry(key, sha256, os.stat(target).st_size)

    def stream(self, relative: str, fill: Callable[[Path, Hasher], int]) -> None:
        """A file filled by ``fill`` (a ZIP entry copied in chunks), hashed on the way."""
        hasher = hashlib.sha256()
        size = fill(Path(self._path(relative)), hasher)
        self.bytes_written += size
        self.files_written += 1
        digest = hasher.hexdigest()
        self.manifest[relative] = ManifestEntry(digest, digest, size)

    def digest(self) -> str:
        """A content digest of the built tree, to skip swaps that would change nothing."""
        total = hashlib.sha256()
        for relative, entry in sorted(self.manifest.items()):
            total.update(f"{relative}\0{entry.sha256}\0".encode())
        return total.hexdigest()

    def manifest_json(self) -> dict[str, list[str | int]]:
        return {path: entry.to_json() for path, entry in sorted(self.manifest.items())}

    def total_bytes(self) -> int:
        """The size of the whole build, linked files included."""
        return sum(entry.size for entry in self.manifest.values())


def space_metadata(model: SpaceModel, anchors: dict[str, frozenset[str]] | None = None) -> bytes:
    """``_metadata.json``: the space and its page tree with each page's published path (and, for
    pages rendered from Docmost's JSON, their heading ids, so other spaces can link to them).

    Written page by page (the same bytes as json_lines of the whole tree): the tree of a
    20,000-page space as one dict held 30 MB at once, all of it peak memory."""
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    parts = [encode({"space": {"id": model.id, "name": model.name, "slug": model.slug}})[:-1]]
    parts.append(',"generator":"docmost-syncd","pages":[')

    def node(page: Page) -> None:
        entry: dict[str, Any] = {
            "id": page.id,
            "slugId": page.slug_id,
            "title": page.title,
            "icon": page.icon,
            "position": page.position,
            "path": page.path,
        }
        if anchors is not None:
            entry["anchors"] = sorted(anchors.get(page.id, ()))
        parts.append(encode(entry)[:-1] + ',"children":[')
        for number, child in enumerate(page.children):
            if number:
                parts.append(",")
            node(child)
        parts.append("]}")

    for number, root in enumerate(model.roots):
        if number:
            parts.append(",")
        node(root)
    parts.append("]}\n")
    return "".join(parts).encode()


def category_json(page: Page) -> bytes:
    """``_category_.json`` of a page's folder: the exact title and its sidebar position."""
    return json_lines({"label": page.display_title, "position": page.sidebar_position})


def root_category_json(model: SpaceModel) -> bytes:
    return json_lines({"label": model.name})


def category_path(page: Page) -> str:
    return posixpath.join(posixpath.dirname(page.path), CATEGORY_FILE)


def verify_output(model: SpaceModel, writer: StagingWriter) -> None:
    """Before anything is published: one file per live page, nothing else that looks like a page."""
    expected = {page.path for page in model.walk()}
    on_disk: set[str] = set()
    prefix = len(writer._root) + 1
    for root, _dirs, files in os.walk(writer._root):
        folder = root[prefix:]
        if folder == "_assets" or folder.startswith("_assets/"):
            continue
        on_disk.update(
            f"{folder}/{file}" if folder else file for file in files if file.endswith(PAGE_EXTENSIONS)
        )
    if on_disk != expected:
        missing = sorted(expected - on_disk)[:5]
        extra = sorted(on_disk - expected)[:5]
        raise BuildError(f"built tree does not match the page tree: missing {missing}, unexpected {extra}")
