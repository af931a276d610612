"""The failures docmost-syncd reports, one class per kind of cause.

Each message names the input and the reason; none ever carries a secret.
"""

from __future__ import annotations

import errno
import sqlite3
import zipfile
import zlib
from pathlib import Path


class SyncdError(Exception):
    """Base of every error docmost-syncd raises on purpose."""


class ConfigError(SyncdError):
    """The configuration is invalid; the CLI exits 78 (EX_CONFIG)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class DocmostError(SyncdError):
    """Docmost answered in a way the sync cannot continue from."""


class ServerUnavailableError(DocmostError):
    """Docmost cannot be reached for a reason that will not go away within this run (connection
    refused or reset, name resolution, TLS, the same 5xx answer again and again): the first
    request that exhausts its retries stops the whole run, and nothing queued is sent."""


class AuthError(DocmostError):
    """Login failed: wrong credentials, MFA/SSO, or a token Docmost rejects."""


class RateLimitedError(AuthError):
    """Docmost throttled the login endpoint (HTTP 429)."""

    def __init__(self, message: str, retry_after_seconds: float) -> None:
        self.retry_after_seconds = retry_after_seconds
        super().__init__(message)


class NotFoundError(DocmostError):
    """Docmost answered 404: the page or file is gone (deleted or trashed since it was listed)."""


class DownloadError(DocmostError):
    """A download failed or was cut short."""


class ArchiveError(SyncdError):
    """An export ZIP is hostile or over a limit; nothing from it is published."""


class BuildError(SyncdError):
    """Turning a space into markdown failed; the published copy stays."""


class RemovalRefusedError(SyncdError):
    """A run would remove more published pages or spaces than ``sync.removal_guard`` allows."""


class PublishError(SyncdError):
    """Staging or swapping a space failed; the published copy stays."""


class LockedError(SyncdError):
    """Another docmost-syncd process holds the output folder."""


class CancelledError(SyncdError):
    """The daemon is shutting down; the job stopped at a step boundary and published nothing."""


def fault_message(exc: BaseException, database: Path | None = None) -> str | None:
    """One line for a failure that is not a bug: docmost-syncd's own errors as they are, a file
    system fault (read-only, permission, no space, a file where a folder belongs, I/O) with the
    path and the cause, the page cache's database with its file, a corrupt ZIP member. None for
    anything else (a programming error keeps its traceback)."""
    if isinstance(exc, SyncdError):
        return str(exc)
    if isinstance(exc, OSError):
        cause = exc.strerror or str(exc)
        name = errno.errorcode.get(exc.errno or 0)
        where = " -> ".join(str(path) for path in (exc.filename, exc.filename2) if path is not None)
        return f"{where}: {cause} ({name})" if where and name else f"{where or 'file system'}: {cause}"
    if isinstance(exc, sqlite3.Error):
        return f"{database or 'the page cache'}: {exc}"
    if isinstance(exc, zipfile.BadZipFile | zlib.error | EOFError):
        return f"corrupt ZIP: {exc}"
    return None
