"""The failures docmost-syncd reports, one class per kind of cause.

Each message names the input and the reason; none ever carries a secret.
"""


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
