"""One docmost-syncd per output folder: an exclusive flock held for the life of the process.

The lock file is never unlinked (unlinking a flocked file lets a second process lock a new inode
at the same path while the first still runs).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from docmost_syncd.errors import LockedError

LOCK_NAME = "lock"


class OutputLock:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise LockedError(
                f"another docmost-syncd (pid {holder}) is using {self.path.parent.parent}; "
                "only one process may publish into an output folder"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()
