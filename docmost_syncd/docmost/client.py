"""DocmostClient: one shared httpx.Client, logged in once, re-login once on 401.

Docmost 0.95 facts this client is built around (see the README's "Docmost API" notes):
every call is a POST with a JSON body; results come in ``{"data": ...}``; the login token is only
in ``Set-Cookie: authToken``; ``/api/auth/*`` allows 10 requests a minute per IP and answers 429
with ``retry-after-auth``; lists use keyset cursors; exports stream without Content-Length, so a
200 can still carry a truncated ZIP.
"""

from __future__ import annotations

import random
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from docmost_syncd import __version__
from docmost_syncd.config import DocmostSettings
from docmost_syncd.docmost.models import Space, TreePage, sibling_order
from docmost_syncd.errors import AuthError, CancelledError, DocmostError, DownloadError, RateLimitedError
from docmost_syncd.log import get_logger

RETRY_STATUSES = frozenset({502, 503, 504})
EMPTY_SPACE_MESSAGE = "No accessible pages to export"
PAGE_LIMIT = 100
CHUNK_BYTES = 1024 * 1024

RequestObserver = Callable[[str, int | str, bool], None]
"""Called once per HTTP attempt with (endpoint, status or error name, is_retry)."""


def _error_message(response: httpx.Response) -> str:
    """Docmost's NestJS error body: ``message`` is a string, or a list for validation errors."""
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase or "no message"
    message = body.get("message") if isinstance(body, dict) else None
    if isinstance(message, list):
        return "; ".join(str(part) for part in message)
    return str(message) if message else (response.reason_phrase or "no message")


def _retry_after(response: httpx.Response) -> float | None:
    for header in ("retry-after-auth", "retry-after"):
        value = response.headers.get(header)
        if value:
            try:
                return max(0.0, float(value))
            except ValueError:
                continue
    return None


class DocmostClient:
    """The only object that talks to Docmost. Thread-safe enough for parallel space jobs:
    httpx.Client is thread-safe, and a re-login race at worst logs in twice."""

    def __init__(
        self,
        settings: DocmostSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        observer: RequestObserver | None = None,
        on_progress: Callable[[], None] | None = None,
    ) -> None:
        if not settings.url:
            raise DocmostError("docmost.url is not set")
        self._settings = settings
        self._sleep = sleep
        self._observer = observer
        self._on_progress = on_progress  # called as download chunks arrive (the daemon's heartbeat)
        self._token: str | None = None
        self._random = random.Random()  # noqa: S311 - backoff jitter, not cryptography
        verify: Any = str(settings.ca_bundle) if settings.ca_bundle else settings.verify_tls
        self._http = httpx.Client(
            base_url=settings.url,
            timeout=httpx.Timeout(settings.timeout_seconds, connect=min(settings.timeout_seconds, 15.0)),
            verify=verify,
            transport=transport,
            headers={"User-Agent": f"docmost-syncd/{__version__}", "Accept": "application/json"},
            follow_redirects=False,
        )
        self._log = get_logger(component="docmost")

    def __repr__(self) -> str:
        state = "logged in" if self._token or self._settings.api_token else "not logged in"
        return f"DocmostClient(url={self._settings.url!r}, {state})"

    def __enter__(self) -> DocmostClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        # Never POST /api/auth/logout: it revokes the session server-side.
        self._http.close()

    # ---- auth -------------------------------------------------------------------------------

    def _auth_headers(self) -> dict[str, str]:
        if self._settings.api_token is not None:
            return {"Authorization": f"Bearer {self._settings.api_token.get_secret_value()}"}
        if self._token is None:
            self.login()
        assert self._token is not None
        return {"Authorization": f"Bearer {self._token}"}

    def login(self) -> None:
        """POST /api/auth/login; keep the authToken from Set-Cookie. A 429 is waited out once, at most."""
        settings = self._settings
        if settings.api_token is not None:
            return
        if not settings.email or settings.password is None:
            raise AuthError("docmost.email and a password are needed to log in")
        body = {"email": settings.email, "password": settings.password.get_secret_value()}
        for attempt in (1, 2):
            response = self._send("POST", "/api/auth/login", json=body)
            if response.status_code == 429:
                wait = _retry_after(response) or 60.0
                if attempt == 1 and wait <= settings.login_max_wait_seconds:
                    self._log.warning("auth.throttled", wait_seconds=wait, action="waiting once")
                    self._sleep(wait + 1.0)
                    continue
                raise RateLimitedError(
                    f"login to {settings.url} throttled by Docmost (HTTP 429, 10 logins/minute per IP); "
                    f"retry after {wait:g} s",
                    wait,
                )
            if response.status_code in (400, 401, 403):
                raise AuthError(
                    f"login to {settings.url} as {settings.email} failed: HTTP {response.status_code} "
                    f"{_error_message(response)}"
                )
            if response.status_code != 200:
                raise AuthError(
                    f"login to {settings.url} failed: HTTP {response.status_code} {_error_message(response)}"
                )
            token = response.cookies.get("authToken")
            # Keep the token out of the cookie jar: it is sent as a Bearer header, only by us.
            self._http.cookies.clear()
            if not token:
                raise AuthError(
                    f"login to {settings.url} as {settings.email} returned no authToken cookie: "
                    "MFA or SSO is enforced for this account; use an account that can log in with a password"
                )
            self._token = token
            self._log.info("auth.logged_in", email=settings.email)
            return
        raise AssertionError("unreachable")  # pragma: no cover

    # ---- transport ----------------------------------------------------------------------------

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter: 0.5 s, 1 s, 2 s... capped at 30 s."""
        return float(self._random.uniform(0, min(30.0, 0.5 * 2 ** (attempt - 1))))

    def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any,
        headers: dict[str, str] | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        """One logical request with retries on connect errors, timeouts and 502/503/504.
        With ``stream`` the body is not read yet: the caller reads and closes the response."""
        attempts = self._settings.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                request = self._http.build_request(method, path, json=json, headers=headers)
                response = self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                self._observe(path, type(exc).__name__, attempt > 1)
                if attempt == attempts:
                    raise DocmostError(
                        f"{method} {self._settings.url}{path}: {type(exc).__name__} after {attempt} attempt(s)"
                    ) from None
                self._log.warning("http.retry", endpoint=path, error=type(exc).__name__, attempt=attempt)
                self._sleep(self._backoff(attempt))
                continue
            self._observe(path, response.status_code, attempt > 1)
            if response.status_code in RETRY_STATUSES and attempt < attempts:
                response.close()
                self._log.warning("http.retry", endpoint=path, status=response.status_code, attempt=attempt)
                self._sleep(self._backoff(attempt))
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _observe(self, endpoint: str, status: int | str, retry: bool) -> None:
        if self._observer is not None:
            self._observer(endpoint, status, retry)

    def _call(
        self, path: str, body: dict[str, Any] | None, *, method: str = "POST", stream: bool = False
    ) -> httpx.Response:
        """An authenticated request; a 401 triggers one fresh login, then fails clearly."""
        relogged = False
        while True:
            response = self._send(method, path, json=body, headers=self._auth_headers(), stream=stream)
            if response.status_code != 401:
                return response
            response.read()  # a streamed 401 too: its message is needed below
            response.close()
            if self._settings.api_token is not None or relogged:
                raise AuthError(
                    f"{method} {path}: Docmost rejected the credentials (HTTP 401 {_error_message(response)})"
                )
            self._log.info("auth.expired", endpoint=path, action="logging in again")
            self._token = None
            relogged = True

    def post(self, path: str, body: dict[str, Any]) -> Any:
        """POST and unwrap the ``data`` envelope, raising DocmostError on any error status."""
        response = self._call(path, body)
        if response.status_code != 200:
            raise DocmostError(f"POST {path}: HTTP {response.status_code} {_error_message(response)}")
        try:
            payload = response.json()
        except ValueError:
            raise DocmostError(f"POST {path}: response is not JSON") from None
        return payload.get("data") if isinstance(payload, dict) else None

    def paginate(self, path: str, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every item of a cursor-paginated list, following ``meta.nextCursor`` to the end."""
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            request = dict(body, limit=PAGE_LIMIT)
            if cursor is not None:
                request["cursor"] = cursor
            data = self.post(path, request) or {}
            yield from data.get("items") or []
            meta = data.get("meta") or {}
            cursor = meta.get("nextCursor")
            if not meta.get("hasNextPage") or not cursor:
                return
            if cursor in seen:
                raise DocmostError(f"POST {path}: the server repeated cursor {cursor!r}; stopping pagination")
            seen.add(cursor)

    # ---- API ------------------------------------------------------------------------------------

    def list_spaces(self) -> list[Space]:
        return [Space.from_api(item) for item in self.paginate("/api/spaces", {})]

    def page_tree(self, space_id: str) -> list[TreePage]:
        """The live tree, depth-first, siblings in Docmost order (children listed for every page
        that says it has some, every level paginated to the end)."""
        roots = self._sorted(self.paginate("/api/pages/sidebar-pages", {"spaceId": space_id}))
        ordered: list[TreePage] = []
        stack = list(reversed(roots))
        seen: set[str] = set()
        while stack:
            page = stack.pop()
            if page.id in seen:
                continue
            seen.add(page.id)
            ordered.append(page)
            if page.has_children:
                children = self._sorted(self.paginate("/api/pages/sidebar-pages", {"pageId": page.id}))
                stack.extend(reversed(children))
        return ordered

    @staticmethod
    def _sorted(items: Iterator[dict[str, Any]]) -> list[TreePage]:
        pages = [TreePage.from_api(item) for item in items]
        return sorted(pages, key=lambda p: sibling_order(p.position, p.id))

    def export_space(
        self, space_id: str, destination: Path, should_stop: Callable[[], bool] | None = None
    ) -> bool:
        """Stream the space's markdown export (with attachments) into ``destination``.

        Returns False for an empty space (Docmost answers 400 "No accessible pages to export").
        The file is checked as a ZIP (central directory and every CRC) before it is trusted.
        """
        body = {"spaceId": space_id, "format": "markdown", "includeAttachments": True}
        self._stream_to_file("/api/spaces/export", body, destination, empty_ok=True, should_stop=should_stop)
        if not destination.exists():
            return False
        verify_zip(destination)
        return True

    def export_page(self, page_id: str) -> str:
        """One page as markdown (a bare .md body), for pages the space ZIP lost in a name collision."""
        body = {
            "pageId": page_id,
            "format": "markdown",
            "includeChildren": False,
            "includeAttachments": False,
        }
        response = self._call("/api/pages/export", body)
        if response.status_code != 200:
            raise DocmostError(
                f"page export of {page_id}: HTTP {response.status_code} {_error_message(response)}"
            )
        return response.content.decode("utf-8", errors="replace")

    def latest_update(self, space_id: str) -> str | None:
        """The newest ``updatedAt`` of the space's live pages (``/api/pages/recent`` orders by it),
        or None when the server cannot say (then the caller exports and compares digests)."""
        try:
            data = self.post("/api/pages/recent", {"spaceId": space_id, "limit": 1}) or {}
        except DocmostError as exc:
            self._log.info("space.recent_unavailable", reason=str(exc))
            return None
        for item in data.get("items") or []:
            if isinstance(item, dict) and item.get("spaceId") == space_id and item.get("updatedAt"):
                return str(item["updatedAt"])
        return None

    def download_attachment(self, attachment_id: str, file_name: str, destination: Path) -> None:
        """GET /api/files/<id>/<name> into a file, for attachments the export ZIP does not hold
        (an export without attachments, or a page the ZIP lost). A 404 raises DownloadError."""
        path = f"/api/files/{quote(attachment_id)}/{quote(file_name)}"
        self._stream_to_file(path, None, destination, empty_ok=False)

    def _stream_to_file(
        self,
        path: str,
        body: dict[str, Any] | None,
        destination: Path,
        *,
        empty_ok: bool,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        """Stream a download into ``destination``. Connects, 5xx and 401 are retried by _call;
        a connection that breaks mid-body restarts the whole download, up to the same retries."""
        attempts = self._settings.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                self._receive(path, body, destination, empty_ok=empty_ok, should_stop=should_stop)
                return
            except httpx.TransportError as exc:
                self._observe(path, type(exc).__name__, True)
                destination.unlink(missing_ok=True)
                if attempt == attempts:
                    raise DownloadError(
                        f"download via {path} failed: {type(exc).__name__} after {attempt} attempt(s)"
                    ) from None
                self._log.warning("http.retry", endpoint=path, error=type(exc).__name__, attempt=attempt)
                self._sleep(self._backoff(attempt))
            except (DownloadError, CancelledError):
                destination.unlink(missing_ok=True)
                raise

    def _receive(
        self,
        path: str,
        body: dict[str, Any] | None,
        destination: Path,
        *,
        empty_ok: bool,
        should_stop: Callable[[], bool] | None,
    ) -> None:
        cap = self._settings.export_max_bytes
        response = self._call(path, body, method="GET" if body is None else "POST", stream=True)
        try:
            if response.status_code != 200:
                response.read()
                message = _error_message(response)
                if empty_ok and response.status_code == 400 and message == EMPTY_SPACE_MESSAGE:
                    return
                raise DownloadError(f"download via {path}: HTTP {response.status_code} {message}")
            written = 0
            with destination.open("wb") as handle:
                for chunk in response.iter_bytes(CHUNK_BYTES):
                    if should_stop is not None and should_stop():
                        raise CancelledError(f"download via {path} stopped: shutting down")
                    if self._on_progress is not None:
                        self._on_progress()
                    written += len(chunk)
                    if written > cap:
                        raise DownloadError(
                            f"download via {path} exceeds docmost.export_max_bytes ({cap} bytes); stopped"
                        )
                    handle.write(chunk)
        finally:
            response.close()


def verify_zip(path: Path) -> None:
    """A 200 can still be a truncated stream: the central directory must parse and every CRC match."""
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise DownloadError(
            f"export {path.name} is not a complete ZIP ({exc}); the download was cut short"
        ) from None
    if bad is not None:
        raise DownloadError(f"export {path.name}: entry {bad!r} fails its CRC check; the download is corrupt")
