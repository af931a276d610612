"""DocmostClient: the only object that talks to Docmost, over one shared httpx.Client.

Docmost facts it is built around (``docmost-api.md`` in the design notes): every call but file
downloads is a POST with a JSON body; results come in ``{"data": ...}``; the login token is only
in ``Set-Cookie: authToken``; ``/api/auth/*`` allows 10 requests a minute per IP and answers 429
with ``retry-after-auth``; lists use keyset cursors.

A Docmost server is someone's production wiki, so the client is polite by construction:

* at most ``docmost.max_parallel_requests`` requests are in flight, over every space;
* a request is retried only when the server is certainly not working on it any more: it was
  never connected, or the server answered 429/502/503 (``Retry-After`` is honoured). A timeout
  after sending, or a 504, may mean the server is still busy with it: that request fails;
* requests run on worker threads, so a stopping daemon walks away from a hung request at once
  (``cancel``) instead of waiting out its timeout;
* a server that is gone (its port closed, connections reset, its name or certificate refused,
  the same 5xx again and again) stops the run at the first request that exhausts its retries:
  nothing queued is sent, and every later request of the run fails at once (``unavailable``).
"""

from __future__ import annotations

import contextvars
import queue
import random
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx

from docmost_syncd import __version__
from docmost_syncd.config import DocmostSettings
from docmost_syncd.errors import (
    AuthError,
    CancelledError,
    DocmostError,
    DownloadError,
    NotFoundError,
    RateLimitedError,
    ServerUnavailableError,
)
from docmost_syncd.log import get_logger
from docmost_syncd.model import ListedPage, Space

PAGE_LIMIT = 100
# Downloads move in pieces small enough to be reused by each worker thread's malloc arena: with
# 1 MiB pieces glibc raised its mmap threshold and four workers kept 22 MB of freed buffers.
CHUNK_BYTES = 64 * 1024
MAX_LIST_REQUESTS = 10_000  # a listing longer than a million items is a server that loops
MAX_RETRY_AFTER_SECONDS = 300.0
VERSION_TIMEOUT_SECONDS = 10.0  # /api/version first asks GitHub for the latest release
OLDEST_VERSION = (0, 70, 0)
# Answered, and the server is done with the request: a retry stacks no work on it.
RETRY_STATUSES = frozenset({429, 502, 503})
# Never reached the server (or the server closed the connection): safe to send again.
RETRY_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.RemoteProtocolError)
# Causes that will not go away within this run once a request has exhausted its retries on them:
# the port is closed, the name does not resolve, the certificate is refused, the server resets
# or drops connections. (A pool timeout is our own queue, not the server.)
SERVER_GONE_ERRORS = (
    httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError,
)  # fmt: skip
SAME_5XX_IN_A_ROW = 3  # requests in a row answered with one 5xx status: the server, not one page

RequestObserver = Callable[[str, int | str, bool], None]
"""Called once per HTTP attempt with (endpoint, status or error name, is_retry)."""

T = TypeVar("T")


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
    """``retry-after-auth`` (Docmost's login throttle) or ``Retry-After`` in seconds or as a date."""
    for header in ("retry-after-auth", "retry-after"):
        value = response.headers.get(header)
        if not value:
            continue
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            continue
    return None


def _endpoint(path: str) -> str:
    """The route without ids, for logs and metrics (``/api/files/<id>/<name>`` → ``/api/files``)."""
    return "/api/files" if path.startswith("/api/files/") else path


def _cause(exc: BaseException) -> str:
    """What went wrong on the wire, in words (``[Errno 111] Connection refused`` → ``connection refused``)."""
    text = str(exc) or type(exc).__name__
    match = re.search(r"\[Errno -?\d+\] ([^\]\[]+)", text)
    if match:
        text = match.group(1).strip()
    return text[:1].lower() + text[1:]


def _is_tls_failure(exc: BaseException) -> bool:
    """A refused certificate or handshake: sending again cannot help."""
    seen: BaseException | None = exc
    for _depth in range(5):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def parse_version(text: str) -> tuple[int, int, int] | None:
    match = re.match(r"^v?(\d+)\.(\d+)(?:\.(\d+))?", text.strip())
    if not match:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


class _Workers:
    """The threads that send requests: their number bounds the requests in flight. They are
    daemon threads, so a request abandoned by a stopping daemon cannot hold up its exit."""

    def __init__(self, size: int) -> None:
        self._tasks: queue.SimpleQueue[tuple[contextvars.Context, Callable[[], Any], _Batch[Any], int] | None] = (
            queue.SimpleQueue()
        )
        self._size = size
        self._started = 0
        self._lock = threading.Lock()
        self._local = threading.local()  # .worker is True on the workers' own threads
        self._stopped = False

    def stop(self) -> None:
        """Each worker ends after the task it is on (a client replaced by a reload must not
        leave its threads waiting for work forever)."""
        with self._lock:
            self._stopped = True
            for _ in range(self._started):
                self._tasks.put(None)
            self._started = 0

    def _start(self) -> None:
        with self._lock:
            if self._stopped:  # closed by a stopping daemon: nothing more is sent
                raise CancelledError("requests abandoned: the client is closed")
            while self._started < self._size:
                threading.Thread(target=self._work, name=f"docmost-http-{self._started}", daemon=True).start()
                self._started += 1

    def run(self, task: Callable[[], T], cancel: threading.Event | None) -> T:
        if getattr(self._local, "worker", False):
            return task()  # a batch task (see ``map``) already holds one of the places
        return self.map([task], cancel)[0]

    def map(self, tasks: list[Callable[[], T]], cancel: threading.Event | None) -> list[T]:
        """Run the tasks on the workers, ``size`` at a time; the first failure is raised after
        all have ended, except a gone server's: that one is raised at once, the tasks not yet
        started never start and those in flight are abandoned. Whatever a task does besides its
        request (parsing, keeping the page) runs on the worker too: no hand-off between threads
        per request. Each task runs in the caller's context, so its log lines carry the run's
        and the space's fields."""
        self._start()
        batch: _Batch[T] = _Batch(len(tasks))
        for index, task in enumerate(tasks):
            self._tasks.put((contextvars.copy_context(), task, batch, index))
        while not batch.done.wait(0.05 if cancel is not None else None):
            if cancel is not None and cancel.is_set():
                batch.abandon(CancelledError("requests abandoned: shutting down"))
                raise CancelledError("requests abandoned: shutting down")
        if batch.abandoned is not None:
            raise batch.abandoned
        if batch.errors:
            raise min(batch.errors, key=lambda failed: failed[0])[1]
        return batch.values  # type: ignore[return-value]

    def _work(self) -> None:
        self._local.worker = True
        while (work := self._tasks.get()) is not None:
            context, task, batch, index = work
            if batch.abandoned is not None:
                continue  # its caller has gone: the request is never sent
            try:
                batch.settle(index, context.run(task), None)
            except BaseException as exc:  # handed to the caller, who raises it
                batch.settle(index, None, exc)


class _Batch(Generic[T]):
    """The results of one ``map``: one event for the whole batch (an event per request held
    14 MB while the 20,000 pages of a space were fetched)."""

    def __init__(self, size: int) -> None:
        self.values: list[T | None] = [None] * size
        self.errors: list[tuple[int, BaseException]] = []
        self.abandoned: BaseException | None = None  # why the caller stopped waiting
        self.done = threading.Event()
        self._remaining = size
        self._lock = threading.Lock()
        if size == 0:
            self.done.set()

    def settle(self, index: int, value: T | None, error: BaseException | None) -> None:
        with self._lock:
            if isinstance(error, ServerUnavailableError) and self.abandoned is None:
                self.abandoned = error
                self.done.set()
            if error is not None:
                self.errors.append((index, error))
            else:
                self.values[index] = value
            self._remaining -= 1
            if self._remaining == 0:
                self.done.set()

    def abandon(self, reason: BaseException) -> None:
        with self._lock:
            if self.abandoned is None:
                self.abandoned = reason
            self.done.set()


class DocmostClient:
    """Thread-safe: space jobs share one client, its connection pool and its request bound."""

    def __init__(
        self,
        settings: DocmostSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
        observer: RequestObserver | None = None,
        on_progress: Callable[[], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        if not settings.url:
            raise DocmostError("docmost.url is not set")
        self._settings = settings
        self._cancel = cancel
        self._sleep = sleep or self._wait
        self._observer = observer
        self._on_progress = on_progress  # called as data arrives (the daemon's heartbeat)
        self._token: str | None = None
        self._login_lock = threading.Lock()
        self._random = random.Random()  # noqa: S311 - backoff jitter, not cryptography
        self._workers = _Workers(settings.max_parallel_requests)
        self._version: tuple[int, int, int] | None = None
        self._unavailable: str | None = None  # why the server is gone for the rest of this run
        self._same_5xx: tuple[int, int] = (0, 0)  # (status, requests in a row answered with it)
        self._health_lock = threading.Lock()
        verify: Any = str(settings.ca_bundle) if settings.ca_bundle else settings.verify_tls
        if settings.url.startswith("http://"):
            verify = False  # no TLS to verify: skip loading the CA bundle (a third of start-up)
        self._http = httpx.Client(
            base_url=settings.url,
            timeout=httpx.Timeout(settings.timeout_seconds, connect=min(settings.timeout_seconds, 15.0)),
            verify=verify,
            transport=transport,
            headers={"User-Agent": f"docmost-syncd/{__version__}", "Accept": "application/json"},
            follow_redirects=False,
            limits=httpx.Limits(max_connections=settings.max_parallel_requests),
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
        self._workers.stop()

    # ---- a server that is gone -----------------------------------------------------------------

    @property
    def unavailable(self) -> str | None:
        """Why the server is gone for the rest of this run; None while it answers."""
        return self._unavailable

    @property
    def server_url(self) -> str:
        return self._settings.url or ""

    def start_run(self) -> None:
        """A new run tries the server afresh, whatever ended the last one, and asks its version
        again: the daemon's client lives for months, and Docmost may be upgraded between runs."""
        with self._health_lock:
            self._unavailable, self._same_5xx = None, (0, 0)
        self._version = None

    def _gone(self, cause: str, method: str, endpoint: str, attempts: int) -> ServerUnavailableError:
        """Mark the server gone for this run (the first cause wins) and return the error to raise."""
        with self._health_lock:
            if self._unavailable is None:
                tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
                self._unavailable = f"Docmost at {self._settings.url} is unreachable: {cause} ({method} {endpoint}, {tries})"
            return ServerUnavailableError(self._unavailable)

    def _note_answer(self, status: int, method: str, endpoint: str) -> None:
        """Count requests in a row that ended with the same 5xx; enough of them mean the server is broken."""
        with self._health_lock:
            previous, run = self._same_5xx
            self._same_5xx = (status, run + 1 if status == previous else 1) if status >= 500 else (0, 0)
            broken = self._same_5xx[1] >= SAME_5XX_IN_A_ROW
        if broken:
            raise self._gone(f"HTTP {status} on {SAME_5XX_IN_A_ROW} requests in a row", method, endpoint, 1)

    def _wait(self, seconds: float) -> None:
        """Sleep that a stopping daemon interrupts."""
        if self._cancel is None:
            time.sleep(seconds)
        elif self._cancel.wait(seconds):
            raise CancelledError("stopped while waiting to retry: shutting down")

    # ---- auth -------------------------------------------------------------------------------

    def _auth_headers(self) -> dict[str, str]:
        if self._settings.api_token is not None:
            return {"Authorization": f"Bearer {self._settings.api_token.get_secret_value()}"}
        token = self._token
        if token is None:
            token = self._login_once(None)
        return {"Authorization": f"Bearer {token}"}

    def _login_once(self, rejected: str | None) -> str:
        """Log in unless another thread already replaced the ``rejected`` token."""
        with self._login_lock:
            if self._token is not None and self._token != rejected:
                return self._token
            self._token = None
            self.login()
            assert self._token is not None
            return self._token

    def login(self) -> None:
        """POST /api/auth/login; keep the authToken from Set-Cookie. A 429 is waited out once, at most."""
        settings = self._settings
        if settings.api_token is not None:
            return
        if not settings.email or settings.password is None:
            raise AuthError("docmost.email and a password are needed to log in")
        body = {"email": settings.email, "password": settings.password.get_secret_value()}
        for attempt in (1, 2):
            response = self._send("POST", "/api/auth/login", json=body, retry_statuses=frozenset({502, 503}))
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
        read: Callable[[httpx.Response], None] | None = None,
        timeout: float | None = None,
        retry_statuses: frozenset[int] = RETRY_STATUSES,
    ) -> httpx.Response:
        """One logical request, retried only where the server cannot still be working on it.
        ``read`` consumes the response body on the worker (a download); by default it is read whole."""
        endpoint = _endpoint(path)
        attempts = self._settings.retries + 1
        for attempt in range(1, attempts + 1):
            if self._cancel is not None and self._cancel.is_set():
                raise CancelledError(f"{method} {endpoint} not sent: shutting down")
            if self._unavailable is not None:
                raise ServerUnavailableError(self._unavailable)

            def exchange() -> httpx.Response:
                request = self._http.build_request(
                    method, path, json=json, headers=headers, timeout=timeout or httpx.USE_CLIENT_DEFAULT
                )
                response = self._http.send(request, stream=True)
                try:
                    if read is not None and response.status_code == 200:
                        read(response)
                    else:
                        response.read()
                    return response
                finally:
                    response.close()

            try:
                response = self._workers.run(exchange, self._cancel)
            except RETRY_ERRORS as exc:
                self._observe(endpoint, type(exc).__name__, attempt > 1)
                final = attempt == attempts or _is_tls_failure(exc)
                if final and isinstance(exc, SERVER_GONE_ERRORS):
                    raise self._gone(_cause(exc), method, endpoint, attempt) from None
                if final:
                    raise DocmostError(
                        f"{method} {self._settings.url}{endpoint}: {_cause(exc)} after {attempt} attempt(s)"
                    ) from None
                self._log.warning("http.retry", endpoint=endpoint, error=_cause(exc), attempt=attempt)
                self._sleep(self._backoff(attempt))
                continue
            except httpx.TimeoutException as exc:
                self._observe(endpoint, type(exc).__name__, attempt > 1)
                raise DocmostError(
                    f"{method} {self._settings.url}{endpoint}: no answer within the timeout; not retried, "
                    "since the server may still be working on it"
                ) from None
            except SERVER_GONE_ERRORS as exc:  # reset while the answer was on its way: not resent
                self._observe(endpoint, type(exc).__name__, attempt > 1)
                raise self._gone(_cause(exc), method, endpoint, attempt) from None
            except httpx.TransportError as exc:
                self._observe(endpoint, type(exc).__name__, attempt > 1)
                raise DocmostError(f"{method} {self._settings.url}{endpoint}: {_cause(exc)}") from None
            self._observe(endpoint, response.status_code, attempt > 1)
            if response.status_code in retry_statuses and response.status_code >= 500 and attempt == attempts:
                raise self._gone(f"HTTP {response.status_code}", method, endpoint, attempt)
            if response.status_code in retry_statuses and attempt < attempts:
                wait = _retry_after(response)
                if wait is not None and wait > MAX_RETRY_AFTER_SECONDS:
                    raise DocmostError(
                        f"{method} {endpoint}: HTTP {response.status_code}, the server asks to wait {wait:g} s"
                    )
                delay = wait if wait is not None else self._backoff(attempt)
                self._log.warning(
                    "http.retry", endpoint=endpoint, status=response.status_code, attempt=attempt,
                    wait_seconds=round(delay, 3),
                )  # fmt: skip
                self._sleep(delay)
                continue
            self._note_answer(response.status_code, method, endpoint)
            if self._on_progress is not None:
                self._on_progress()
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _observe(self, endpoint: str, status: int | str, retry: bool) -> None:
        if self._observer is not None:
            self._observer(endpoint, status, retry)

    def _call(
        self,
        path: str,
        body: dict[str, Any] | None,
        *,
        read: Callable[[httpx.Response], None] | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """An authenticated request; a 401 triggers one fresh login, then fails clearly."""
        method = "GET" if body is None else "POST"
        relogged = False
        while True:
            headers = self._auth_headers()
            response = self._send(method, path, json=body, headers=headers, read=read, timeout=timeout)
            if response.status_code != 401:
                return response
            if self._settings.api_token is not None or relogged:
                raise AuthError(
                    f"{method} {_endpoint(path)}: Docmost rejected the credentials "
                    f"(HTTP 401 {_error_message(response)})"
                )
            self._log.info("auth.expired", endpoint=_endpoint(path), action="logging in again")
            self._login_once(headers["Authorization"].removeprefix("Bearer "))
            relogged = True

    def post(self, path: str, body: dict[str, Any], *, timeout: float | None = None) -> Any:
        """POST and unwrap the ``data`` envelope, raising DocmostError on any error status."""
        response = self._call(path, body, timeout=timeout)
        if response.status_code == 404:
            raise NotFoundError(f"POST {path}: HTTP 404 {_error_message(response)}")
        if response.status_code != 200:
            raise DocmostError(f"POST {path}: HTTP {response.status_code} {_error_message(response)}")
        try:
            payload = response.json()
        except ValueError:
            raise DocmostError(f"POST {path}: response is not JSON") from None
        return payload.get("data") if isinstance(payload, dict) else None

    def paginate(self, path: str, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every item of a cursor-paginated list, following ``meta.nextCursor`` to the end
        (at most MAX_LIST_REQUESTS requests; a repeated cursor stops the walk with an error)."""
        cursor: str | None = None
        seen: set[str] = set()
        for _request in range(MAX_LIST_REQUESTS):
            request = dict(body, limit=PAGE_LIMIT)
            if cursor is not None:
                request["cursor"] = cursor
            data = self.post(path, request) or {}
            yield from (item for item in data.get("items") or [] if isinstance(item, dict))
            meta = data.get("meta") or {}
            cursor = meta.get("nextCursor")
            if not meta.get("hasNextPage") or not cursor:
                return
            if cursor in seen:
                raise DocmostError(f"POST {path}: the server repeated cursor {cursor!r}; stopping pagination")
            seen.add(cursor)
        raise DocmostError(
            f"POST {path}: more than {MAX_LIST_REQUESTS} pages of results; stopping pagination"
        )

    # ---- API ------------------------------------------------------------------------------------

    def server_version(self) -> tuple[int, int, int] | None:
        """Docmost's version (``POST /api/version``, asked once per run); None when the
        server does not say (older than 0.9, or its update check failed)."""
        if self._version is None:
            try:
                data = self.post("/api/version", {}, timeout=VERSION_TIMEOUT_SECONDS) or {}
            except DocmostError as exc:
                if isinstance(exc, AuthError):
                    raise
                self._log.info("docmost.version_unknown", reason=str(exc))
                return None
            version = parse_version(str(data.get("currentVersion") or ""))
            if version is None:
                self._log.info("docmost.version_unknown", reason="empty currentVersion")
                return None
            self._version = version
        return self._version

    def check_version(self) -> None:
        """Refuse a server older than docmost-syncd reads page by page."""
        version = self.server_version()
        if version is not None and version < OLDEST_VERSION:
            found = ".".join(map(str, version))
            oldest = ".".join(map(str, OLDEST_VERSION))
            raise DocmostError(
                f"Docmost {found} at {self._settings.url} is older than {oldest}, the oldest release "
                "docmost-syncd syncs page by page; upgrade Docmost, or publish a space export with "
                "`docmost-syncd convert`"
            )

    def list_spaces(self) -> list[Space]:
        return [Space.from_api(item) for item in self.paginate("/api/spaces", {})]

    def list_pages(self, space_id: str) -> list[ListedPage]:
        """Every live page of a space (``/api/pages/recent``, newest edit first, 100 a request).

        A page edited during the walk jumps to the head of the order, behind the cursor; so after
        the walk the head is read again, down to the newest edit the walk started from."""
        pages: dict[str, ListedPage] = {}
        newest: str | None = None
        for item in self.paginate("/api/pages/recent", {"spaceId": space_id}):
            page = ListedPage.from_api(item)
            if page is None or item.get("spaceId", space_id) != space_id:
                continue
            newest = max(newest or page.updated_at, page.updated_at)
            known = pages.get(page.id)
            if known is None or known.updated_at < page.updated_at:
                pages[page.id] = page
        if newest is not None:
            for item in self.paginate("/api/pages/recent", {"spaceId": space_id}):
                page = ListedPage.from_api(item)
                if page is None or page.updated_at <= newest:
                    break
                if item.get("spaceId", space_id) == space_id:
                    pages[page.id] = page
        return list(pages.values())

    def shares(self) -> list[dict[str, Any]]:
        """Every public share the login can see (``/api/shares``): page id, ``includeSubPages``,
        ``searchIndexing``, space id. A server without the shares API refuses ``shared`` publishing."""
        try:
            return list(self.paginate("/api/shares", {}))
        except NotFoundError:
            version = self.server_version()
            found = ".".join(map(str, version)) if version else "an unknown version"
            raise DocmostError(
                f"sync.publish = \"shared\" needs Docmost's public shares (/api/shares); {self._settings.url} "
                f"runs {found}, which has none: upgrade Docmost or publish everything (sync.publish = \"all\")"
            ) from None

    def share_pages(self, share_id: str) -> list[dict[str, Any]]:
        """The pages a share with subpages opens (``/api/shares/tree``): restricted ones left out."""
        data = self.post("/api/shares/tree", {"shareId": share_id}) or {}
        return [node for node in data.get("pageTree") or [] if isinstance(node, dict)]

    def page_labels(self) -> dict[str, list[str]] | None:
        """Page id → its labels' names (``/api/labels``, then ``/api/labels/pages`` per label: a few
        requests a run); None for a server without labels (before 0.95)."""
        try:
            labels = [str(item.get("name") or "") for item in self.paginate("/api/labels", {"type": "page"})]
        except NotFoundError:
            return None
        found: dict[str, list[str]] = {}
        for name in sorted(label for label in labels if label):
            for page in self.paginate("/api/labels/pages", {"name": name}):
                if page.get("id"):
                    found.setdefault(str(page["id"]), []).append(name)
        return found

    def workspace_sharing_disabled(self) -> bool:
        """Whether public sharing is switched off for the whole workspace (a licensed feature)."""
        data = self.post("/api/workspace/info", {}) or {}
        return bool(((data.get("settings") or {}).get("sharing") or {}).get("disabled"))

    def each(self, tasks: list[Callable[[], T]]) -> list[T]:
        """Run many calls of this client (``lambda: client.page(id)`` and what follows it) at
        most ``docmost.max_parallel_requests`` at a time; results in order."""
        return self._workers.map(tasks, self._cancel)

    def page(self, page_id: str) -> dict[str, Any]:
        """One page with its ProseMirror content (``/api/pages/info``). A page deleted or
        trashed since it was listed raises NotFoundError."""
        data = self.post("/api/pages/info", {"pageId": page_id, "includeContent": True})
        if not isinstance(data, dict) or data.get("id") != page_id:
            raise DocmostError(f"POST /api/pages/info for {page_id}: not the page asked for")
        if data.get("deletedAt"):
            raise NotFoundError(f"page {page_id} was moved to the trash")
        return data

    def download_file(self, attachment_id: str, file_name: str, destination: Path) -> None:
        """GET /api/files/<id>/<name> into ``destination``, at most ``docmost.max_file_bytes``."""
        path = f"/api/files/{quote(attachment_id)}/{quote(file_name)}"
        cap = self._settings.max_file_bytes

        def receive(response: httpx.Response) -> None:
            written = 0
            with destination.open("wb") as handle:
                for chunk in response.iter_bytes(CHUNK_BYTES):
                    if self._cancel is not None and self._cancel.is_set():
                        raise CancelledError(f"download of {attachment_id} stopped: shutting down")
                    written += len(chunk)
                    if written > cap:
                        raise DownloadError(
                            f"attachment {attachment_id}/{file_name} exceeds docmost.max_file_bytes ({cap} bytes)"
                        )
                    handle.write(chunk)
                    if self._on_progress is not None:
                        self._on_progress()

        try:
            response = self._call(path, None, read=receive)
        except BaseException:  # a full disk too: no partial file takes room from the next build
            destination.unlink(missing_ok=True)
            raise
        if response.status_code == 404:
            raise NotFoundError(
                f"attachment {attachment_id}/{file_name}: HTTP 404 {_error_message(response)}"
            )
        if response.status_code != 200:
            raise DownloadError(
                f"attachment {attachment_id}/{file_name}: HTTP {response.status_code} {_error_message(response)}"
            )
        expected = response.headers.get("content-length")
        received = destination.stat().st_size if destination.exists() else 0
        if expected is not None and expected.isdigit() and int(expected) != received:
            destination.unlink(missing_ok=True)
            raise DownloadError(
                f"attachment {attachment_id}/{file_name}: got {received} of {expected} bytes; "
                "the download was cut short"
            )
