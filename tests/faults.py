"""Fault injection at the file-system boundary: the k-th file operation of whatever runs inside
``failing(k, errno)`` fails as the kernel would fail it (or, for the page cache's database, as
SQLite reports that errno), and every operation before it is counted.

Counted: ``open`` for writing (and each ``write`` on such a file), ``os.open`` with a write flag,
``os.rename``/``os.replace``/``renameat2``, ``os.mkdir``, ``os.link``, ``os.unlink``, ``os.rmdir``,
``os.fsync`` and every statement on a SQLite connection of the page cache. Operations on the
background deleter's threads are not counted: it deletes retired copies with errors ignored, and
its timing would make k mean a different operation from run to run."""

from __future__ import annotations

import builtins
import errno
import io
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest

from docmost_syncd import cache as cache_module
from docmost_syncd.publish import swap as swap_module

SQLITE_MESSAGES = {
    errno.ENOSPC: "database or disk is full",
    errno.EIO: "disk I/O error",
    errno.EROFS: "attempt to write a readonly database",
    errno.EACCES: "unable to open database file",
}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


class Injector:
    def __init__(self, fail_at: int | None, code: int) -> None:
        self.fail_at = fail_at  # None: count only
        self.code = code
        self.count = 0
        self.failed: str | None = None  # the operation that was made to fail
        self._lock = threading.Lock()

    def check(self, operation: str, target: Any = None) -> None:
        if threading.current_thread().name.startswith("delete-retired"):
            return
        with self._lock:
            self.count += 1
            if self.count != self.fail_at:
                return
            self.failed = f"{operation} {target}"
        if operation.startswith("sqlite"):
            raise sqlite3.OperationalError(SQLITE_MESSAGES[self.code])
        raise OSError(self.code, os.strerror(self.code), str(target) if target is not None else None)


class _File:
    """A file opened for writing whose writes are counted."""

    def __init__(self, handle: Any, injector: Injector, name: Any) -> None:
        self._handle, self._injector, self._name = handle, injector, name

    def write(self, data: Any) -> int:
        self._injector.check("write", self._name)
        return int(self._handle.write(data))

    def __enter__(self) -> _File:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)


class _Connection:
    """A page cache connection whose statements are counted."""

    def __init__(self, connection: sqlite3.Connection, injector: Injector) -> None:
        self._connection, self._injector = connection, injector

    def execute(self, sql: str, *args: Any) -> Any:
        self._injector.check("sqlite execute", sql.split()[0])
        return self._connection.execute(sql, *args)

    def executemany(self, sql: str, *args: Any) -> Any:
        self._injector.check("sqlite executemany", sql.split()[0])
        return self._connection.executemany(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


@contextmanager
def failing(fail_at: int | None, code: int = errno.EIO) -> Iterator[Injector]:
    """Inside: the ``fail_at``-th counted operation fails with ``code`` (None: nothing fails)."""
    injector = Injector(fail_at, code)
    real_open, real_os_open, real_connect = builtins.open, os.open, sqlite3.connect

    def opening(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if any(flag in mode for flag in "wax+"):
            injector.check("open", file)
            return _File(real_open(file, mode, *args, **kwargs), injector, file)
        return real_open(file, mode, *args, **kwargs)

    def os_opening(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & WRITE_FLAGS:
            injector.check("os.open", path)
        return real_os_open(path, flags, *args, **kwargs)

    def counted(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            injector.check(name, args[0] if args else None)
            return real(*args, **kwargs)

        return call

    def connecting(*args: Any, **kwargs: Any) -> Any:
        injector.check("sqlite connect", args[0] if args else None)
        return _Connection(real_connect(*args, **kwargs), injector)

    with ExitStack() as stack:
        patch = stack.enter_context(pytest.MonkeyPatch.context())
        patch.setattr(builtins, "open", opening)
        patch.setattr(io, "open", opening)
        patch.setattr(os, "open", os_opening)
        for name in ("rename", "replace", "mkdir", "link", "unlink", "rmdir", "fsync"):
            patch.setattr(os, name, counted(f"os.{name}", getattr(os, name)))
        patch.setattr(swap_module, "renameat2", counted("renameat2", swap_module.renameat2))
        patch.setattr(cache_module.sqlite3, "connect", connecting)
        yield injector
