"""The state file: what docmost-syncd published, per space id, written atomically.

It records ownership (only folders listed here are ever pruned), the content digest (an
unchanged build is not swapped), the build key and the answers of references into other spaces
(both equal: nothing to build at all) and the last result of every space for ``status`` and
``/readyz``. It never holds a secret. A state file of an earlier release loads: fields it does
not know are ignored, fields it lacks take their defaults.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

STATE_NAME = "state.json"
PATHS_DIR = "paths"


@dataclass
class SpaceState:
    space_id: str
    folder: str
    name: str = ""
    slug: str = ""
    digest: str | None = None
    build_key: str | None = None  # what the last build was made from (see build.py)
    foreign: dict[str, str] = field(default_factory=dict)  # reference into another space → its answer
    # Pages that left this space for another one, where they are published now: page id → the
    # paths they had here (their last 20), so the space's redirects lead their old URLs there
    # for as long as they are published elsewhere.
    moved_out: dict[str, list[str]] = field(default_factory=dict)
    published: bool = False
    pages: int = 0
    bytes: int = 0
    last_attempt: float | None = None
    last_success: float | None = None
    last_published: float | None = None
    last_result: str | None = None  # published | unchanged | empty | failed
    last_error: str | None = None
    consecutive_failures: int = 0
    # Which command publishes the space: "sync" (a Docmost server), "demo" or "convert". A
    # command claims and prunes only its own spaces, so commands can share a folder.
    source: str = "sync"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SpaceState:
        known = {name for name in cls.__dataclass_fields__}
        state = cls(**{key: value for key, value in data.items() if key in known})
        if "source" not in data and state.space_id.startswith("convert:"):
            state.source = "convert"  # a state file of an earlier release
        return state


@dataclass
class StateStore:
    state_dir: Path
    spaces: dict[str, SpaceState] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _paths: dict[str, dict[str, list[str]]] = field(default_factory=dict, repr=False)

    @property
    def path(self) -> Path:
        return self.state_dir / STATE_NAME

    @classmethod
    def load(cls, state_dir: Path) -> StateStore:
        store = cls(state_dir=state_dir)
        try:
            data = json.loads(store.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return store
        except (OSError, ValueError) as exc:
            raise ValueError(f"state file {store.path} is unreadable: {exc}") from None
        for space_id, entry in (data.get("spaces") or {}).items():
            store.spaces[space_id] = SpaceState.from_json(dict(entry, space_id=space_id))
        return store

    def folders_owned(self) -> dict[str, str]:
        """folder → space id, for every folder this tool published."""
        return {state.folder: space_id for space_id, state in self.spaces.items() if state.published}

    def of_source(self, source: str) -> dict[str, SpaceState]:
        """space id → state, for the spaces ``source`` publishes."""
        return {space_id: state for space_id, state in self.spaces.items() if state.source == source}

    def by_folder(self, folder: str) -> SpaceState | None:
        return next((state for state in self.spaces.values() if state.folder == folder), None)

    def get(self, space_id: str) -> SpaceState | None:
        return self.spaces.get(space_id)

    def update(self, state: SpaceState) -> None:
        with self._lock:
            self.spaces[state.space_id] = state
            self._save()

    def remove(self, space_id: str) -> None:
        with self._lock:
            self.spaces.pop(space_id, None)
            self._save()
        self._paths_file(space_id).unlink(missing_ok=True)
        self._paths.pop(space_id, None)

    # ---- where each page was published (for redirects) ----------------------------------------
    # One file per space, beside the state file: a 20,000-page history read and written with the
    # state file on every update cost an edit's run a quarter of a second.

    def _paths_file(self, space_id: str) -> Path:
        return self.state_dir / PATHS_DIR / f"{space_id}.json"

    def paths(self, space_id: str) -> dict[str, list[str]]:
        """Page id → every path it was published at, oldest first, the current one last (read
        once per process: the guard, the build and the record of a run all ask)."""
        if space_id in self._paths:
            return self._paths[space_id]
        try:
            data = json.loads(self._paths_file(space_id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        self._paths[space_id] = data if isinstance(data, dict) else {}
        return self._paths[space_id]

    def set_paths(self, space_id: str, history: dict[str, list[str]]) -> None:
        path = self._paths_file(space_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            temporary.write_text(json.dumps(history, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
            os.replace(temporary, path)
        except BaseException as exc:
            temporary.unlink(missing_ok=True)
            raise _naming(exc, path) from None
        self._paths[space_id] = history

    def _save(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        spaces = {sid: asdict(st) for sid, st in sorted(self.spaces.items())}
        for entry in spaces.values():
            entry.pop("space_id", None)
        data = {"version": 1, "spaces": spaces}
        temporary = self.path.with_name(f".{STATE_NAME}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            with temporary.open("w", encoding="utf-8") as handle:
                json.dump(data, handle, ensure_ascii=False, indent=2)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException as exc:
            temporary.unlink(missing_ok=True)  # a full disk must not keep a half-written copy
            raise _naming(exc, self.path) from None
        fsync_dir(self.state_dir)


def _naming(exc: BaseException, path: Path) -> BaseException:
    """A failed write names the file it was writing (a write's own OSError names none)."""
    if isinstance(exc, OSError) and exc.filename is None:
        return OSError(exc.errno, exc.strerror, str(path))
    return exc


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def disk_bytes(*folders: Path, skip: str | None = None) -> int:
    """Bytes on disk under ``folders`` (leaving out folders named ``skip``), each inode once, as
    ``du`` counts them: a spare's unchanged files are hard links to the published copy's, a
    published attachment one to the cache's. What vanishes while it is walked is not counted."""
    seen: set[int] = set()
    total = 0
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            if skip in dirs:
                dirs.remove(skip)
            for name in files:
                try:
                    info = os.lstat(os.path.join(root, name))
                except OSError:
                    continue
                if info.st_ino not in seen:
                    seen.add(info.st_ino)
                    total += info.st_blocks * 512
    return total
