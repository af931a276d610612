"""The Docmost client against recorded responses of real 0.70.3, 0.80.2, 0.90.1 and 0.95.0 servers
(respx, or a loopback server where real sockets matter)."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from docmost_syncd.config import DocmostSettings
from docmost_syncd.docmost import client as client_module
from docmost_syncd.docmost.client import DocmostClient
from docmost_syncd.errors import (
    AuthError,
    CancelledError,
    DocmostError,
    DownloadError,
    NotFoundError,
    RateLimitedError,
    ServerUnavailableError,
)
from tests.conftest import BASE_URL, PASSWORD, LogCapture
from tests.docmost_double import FIXTURES, TOKEN, VERSIONS, DocmostDouble, Reply, recorded

API_095 = FIXTURES / "docmost-0.95.0" / "api"


def make_client(settings: DocmostSettings, sleeps: list[float] | None = None) -> DocmostClient:
    record = sleeps if sleeps is not None else []
    return DocmostClient(settings, sleep=record.append)


def routed_version(version: str) -> tuple[DocmostDouble, respx.MockRouter]:
    double = DocmostDouble(version)
    router = respx.mock(base_url=BASE_URL, assert_all_called=False)
    router.route().mock(side_effect=double.respx_side_effect)
    return double, router


# ---- logging in -----------------------------------------------------------------------------------


def test_login_once_and_reuse_the_token(routed: DocmostDouble, docmost_settings: DocmostSettings) -> None:
    with make_client(docmost_settings) as client:
        client.list_spaces()
        client.list_pages(routed.space_ids["eng"])
    assert routed.count("/api/auth/login") == 1
    assert routed.count("/api/auth/logout") == 0


def test_wrong_password_fails_clearly(routed: DocmostDouble, docmost_settings: DocmostSettings) -> None:
    docmost_settings.password = docmost_settings.password.__class__("wrong-password")
    with make_client(docmost_settings) as client, pytest.raises(AuthError) as error:
        client.list_spaces()
    assert "Email or password does not match" in str(error.value)
    assert "admin@example.com" in str(error.value)
    assert routed.count("/api/auth/login") == 1


def test_login_429_waits_as_told_once_then_succeeds(
    routed: DocmostDouble, docmost_settings: DocmostSettings
) -> None:
    routed.replies["/api/auth/login"] = [recorded(API_095 / "auth-login-429-rate-limited.json")]
    sleeps: list[float] = []
    with make_client(docmost_settings, sleeps) as client:
        client.list_spaces()
    assert sleeps == [61.0]  # retry-after-auth: 60, plus a second of margin
    assert routed.count("/api/auth/login") == 2


def test_login_429_twice_fails_the_run_without_looping(
    routed: DocmostDouble, docmost_settings: DocmostSettings
) -> None:
    routed.replies["/api/auth/login"] = [
        recorded(API_095 / "auth-login-429-rate-limited.json"),
        recorded(API_095 / "auth-login-correct-password-while-throttled.json"),
    ]
    with make_client(docmost_settings) as client, pytest.raises(RateLimitedError) as error:
        client.list_spaces()
    assert error.value.retry_after_seconds == 42  # the second recording says retry-after-auth: 42
    assert routed.count("/api/auth/login") == 2


def test_429_longer_than_allowed_wait_fails_at_once(
    routed: DocmostDouble, docmost_settings: DocmostSettings
) -> None:
    docmost_settings.login_max_wait_seconds = 30
    routed.replies["/api/auth/login"] = [recorded(API_095 / "auth-login-429-rate-limited.json")]
    sleeps: list[float] = []
    with make_client(docmost_settings, sleeps) as client, pytest.raises(RateLimitedError):
        client.login()
    assert sleeps == []


def test_login_without_cookie_means_mfa_or_sso(
    routed: DocmostDouble, docmost_settings: DocmostSettings
) -> None:
    routed.replies["/api/auth/login"] = [
        Reply(200, b'{"success":true,"status":200}', {"content-type": "application/json"})
    ]
    with make_client(docmost_settings) as client, pytest.raises(AuthError, match="MFA or SSO"):
        client.login()


def _issue_second_token(double: DocmostDouble) -> None:
    """The server revokes the session; the next login hands out another token."""
    double.valid_tokens = {"second-token"}
    original = double._answer

    def answer(method: str, path: str, headers: dict[str, str], payload: dict[str, Any]) -> Reply:
        reply = original(method, path, headers, payload)
        if path == "/api/auth/login" and reply.status == 200:
            reply.headers["set-cookie"] = "authToken=second-token; Path=/; HttpOnly"
        return reply

    double._answer = answer  # type: ignore[method-assign]


def test_expired_token_logs_in_again_once(routed: DocmostDouble, docmost_settings: DocmostSettings) -> None:
    with make_client(docmost_settings) as client:
        client.list_spaces()
        _issue_second_token(routed)
        spaces = client.list_spaces()
    assert len(spaces) == 5
    assert routed.count("/api/auth/login") == 2


def test_parallel_requests_that_meet_an_expired_token_log_in_once(
    routed: DocmostDouble, docmost_settings: DocmostSettings
) -> None:
    ids = [item["id"] for item in routed.pages_of("eng")][:8]
    with make_client(docmost_settings) as client:
        client.list_spaces()
        _issue_second_token(routed)
        threads = [threading.Thread(target=client.page, args=(page_id,)) for page_id in ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert routed.count("/api/auth/login") == 2  # one login, one re-login, however many saw a 401
    assert routed.count("/api/pages/info") >= len(ids)


def test_401_after_fresh_login_fails_clearly(
    routed: DocmostDouble, docmost_settings: DocmostSettings
) -> None:
    routed.valid_tokens.clear()
    with make_client(docmost_settings) as client, pytest.raises(AuthError, match="401"):
        client.list_spaces()
    assert routed.count("/api/auth/login") == 2


def test_api_token_is_sent_as_bearer_without_login(routed: DocmostDouble) -> None:
    settings = DocmostSettings(url=BASE_URL, api_token=TOKEN)
    with DocmostClient(settings) as client:
        assert len(client.list_spaces()) == 5
    assert routed.count("/api/auth/login") == 0


def test_no_secret_in_logs_errors_or_repr(
    routed: DocmostDouble, docmost_settings: DocmostSettings, logs: LogCapture
) -> None:
    with make_client(docmost_settings) as client:
        client.list_spaces()
        text = repr(client) + repr(docmost_settings) + str(docmost_settings.model_dump())
    routed.valid_tokens.clear()
    with make_client(docmost_settings) as client, pytest.raises(AuthError) as error:
        client.list_spaces()
    text += str(error.value) + repr(error.value) + logs.text
    assert "auth.logged_in" in logs.names()
    assert PASSWORD not in text
    assert TOKEN not in text


# ---- lists ---------------------------------------------------------------------------------------


def test_spaces_are_paginated_to_the_end(docmost_settings: DocmostSettings) -> None:
    pages = {
        None: json.loads((API_095 / "spaces-list-limit10-page1.json").read_text())["response"]["body"],
    }
    for number in (2, 3):
        body = json.loads((API_095 / f"spaces-list-limit10-page{number}.json").read_text())["response"][
            "body"
        ]
        previous = pages[list(pages)[-1]]["data"]["meta"]["nextCursor"]
        pages[previous] = body
    login = recorded(API_095 / "auth-login-success.json")

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/auth/login":
            headers = {**login.headers, "set-cookie": f"authToken={TOKEN}; Path=/"}
            return httpx.Response(200, content=login.body, headers=headers)
        cursor = json.loads(request.content).get("cursor")
        return httpx.Response(200, json=pages[cursor])

    with respx.mock(base_url=BASE_URL) as router:
        route = router.post("/api/spaces").mock(side_effect=answer)
        router.post("/api/auth/login").mock(side_effect=answer)
        with make_client(docmost_settings) as client:
            spaces = client.list_spaces()
    assert len(spaces) == 27  # 10 + 10 + 7 across three cursor pages
    assert len({space.id for space in spaces}) == 27
    assert route.call_count == 3


@pytest.mark.parametrize("version", VERSIONS)
def test_every_recorded_server_lists_every_live_page(version: str, docmost_settings: DocmostSettings) -> None:
    double, router = routed_version(version)
    with router, make_client(docmost_settings) as client:
        for slug, space_id in double.space_ids.items():
            recording = json.loads((double.root / "api" / "recent" / f"{slug}.json").read_text())
            pages = client.list_pages(space_id)
            assert len(pages) == recording["page_count"], (version, slug)
            assert len({page.id for page in pages}) == len(pages)
            assert all(page.updated_at for page in pages)
        assert client.server_version() == tuple(int(part) for part in version.split("."))
        client.check_version()
    bulk = double.space_ids["bulk"]
    walks = [
        body for path, body in double.requests if path == "/api/pages/recent" and body["spaceId"] == bulk
    ]
    assert len(walks) == 3 + 1  # 231 pages at 100 a request, then the head read again
    assert all(body["limit"] == 100 for body in walks)


def test_an_edit_during_the_listing_is_not_missed(
    routed: DocmostDouble, docmost_settings: DocmostSettings
) -> None:
    bulk = routed.space_ids["bulk"]
    oldest = min(routed.pages_of("bulk"), key=lambda item: (item["updatedAt"], item["id"]))
    original = routed._recent

    def recent_then_edit(payload: dict[str, Any]) -> Reply:
        reply = original(payload)
        if not payload.get("cursor") and not getattr(routed, "edited", False):
            routed.edited = True  # type: ignore[attr-defined]
            routed.rename(oldest["id"], "Renamed while listed")  # it jumps behind the cursor
        return reply

    routed._recent = recent_then_edit  # type: ignore[method-assign]
    with make_client(docmost_settings) as client:
        pages = {page.id: page for page in client.list_pages(bulk)}
    assert len(pages) == 231
    assert pages[oldest["id"]].title == "Renamed while listed"


def empty_listing_page(next_cursor: str) -> Reply:
    """A /api/pages/recent answer with no items that says more follow from ``next_cursor``."""
    meta = {
        "limit": 100,
        "hasNextPage": True,
        "nextCursor": next_cursor,
        "hasPrevPage": True,
        "prevCursor": None,
    }
    return Reply(200, json.dumps({"data": {"items": [], "meta": meta}}).encode(), {})


def test_a_server_that_never_ends_a_list_is_stopped(
    routed: DocmostDouble, docmost_settings: DocmostSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "MAX_LIST_REQUESTS", 5)
    counter = iter(range(10**6))

    def endless(payload: dict[str, Any]) -> Reply:
        return empty_listing_page(f"c{next(counter)}")

    routed._recent = endless  # type: ignore[method-assign]
    with make_client(docmost_settings) as client, pytest.raises(DocmostError, match="more than 5 pages"):
        client.list_pages(routed.space_ids["eng"])
    assert routed.count("/api/pages/recent") == 5


def test_a_repeated_cursor_stops_the_walk(routed: DocmostDouble, docmost_settings: DocmostSettings) -> None:
    def stuck(payload: dict[str, Any]) -> Reply:
        return empty_listing_page("same")

    routed._recent = stuck  # type: ignore[method-assign]
    with make_client(docmost_settings) as client, pytest.raises(DocmostError, match="repeated cursor"):
        client.list_pages(routed.space_ids["eng"])


# ---- the server's version ---------------------------------------------------------------------------


def _version_reply(current: object) -> Reply:
    body = json.loads((FIXTURES / "docmost-0.95.0-pages/api/version.json").read_text())["response"]["body"]
    body["data"]["currentVersion"] = current
    return Reply(200, json.dumps(body).encode(), {"content-type": "application/json"})


def test_a_server_older_than_070_is_refused_naming_its_version(
    routed: DocmostDouble, docmost_settings: DocmostSettings
) -> None:
    routed.replies["/api/version"] = [_version_reply("0.65.2")]
    with make_client(docmost_settings) as client, pytest.raises(DocmostError) as error:
        client.check_version()
    assert "Docmost 0.65.2" in str(error.value) and "older than 0.70.0" in str(error.value)


@pytest.mark.parametrize(
    "reply", [_version_reply(""), _version_reply(None), recorded(API_095 / "error-404-unknown-route.json")]
)
def test_a_server_that_does_not_say_its_version_is_read_anyway(
    routed: DocmostDouble, docmost_settings: DocmostSettings, reply: Reply
) -> None:
    routed.replies["/api/version"] = [reply]
    with make_client(docmost_settings) as client:
        assert client.server_version() is None
        client.check_version()


# ---- pages and files ----------------------------------------------------------------------------------


def test_page_info_carries_the_prosemirror_content(
    routed: DocmostDouble, docmost_settings: DocmostSettings
) -> None:
    page_id = routed.page_id("kitchen", "Tables")
    with make_client(docmost_settings) as client:
        data = client.page(page_id)
    assert data["content"]["type"] == "doc"
    assert [node["type"] for node in data["content"]["content"]].count("table") == 3
    assert routed.requests[-1] == ("/api/pages/info", {"pageId": page_id, "includeContent": True})


def test_a_trashed_or_deleted_page_is_not_found(
    routed: DocmostDouble, docmost_settings: DocmostSettings
) -> None:
    trashed = routed.trash(routed.page_id("kitchen", "Math"))[0]
    with make_client(docmost_settings) as client:
        with pytest.raises(NotFoundError, match="trash"):
            client.page(trashed)  # Docmost still answers for trashed pages, with deletedAt set
        with pytest.raises(NotFoundError):
            client.page("01a22ec1-0000-7000-8000-000000000000")


def test_attachments_download_byte_for_byte(
    routed: DocmostDouble, docmost_settings: DocmostSettings, tmp_path: Path
) -> None:
    index = json.loads((routed.root / "api" / "files-index.json").read_text())
    with make_client(docmost_settings) as client:
        for entry in index:
            target = tmp_path / entry["id"]
            client.download_file(entry["id"], entry["fileName"], target)
            assert hashlib.sha256(target.read_bytes()).hexdigest() == entry["sha256"]
    assert routed.count("/api/files") == len(index) == 18


def test_a_missing_attachment_is_not_found_and_leaves_nothing(
    routed: DocmostDouble, docmost_settings: DocmostSettings, tmp_path: Path
) -> None:
    target = tmp_path / "gone.png"
    with make_client(docmost_settings) as client, pytest.raises(NotFoundError):
        client.download_file("01a22ec1-ffff-7000-8000-000000000000", "gone.png", target)
    assert not target.exists()


def test_an_attachment_over_the_size_cap_is_stopped(
    routed: DocmostDouble, docmost_settings: DocmostSettings, tmp_path: Path
) -> None:
    docmost_settings.max_file_bytes = 1000
    entry = next(
        e for e in json.loads((routed.root / "api/files-index.json").read_text()) if e["size"] > 1000
    )
    target = tmp_path / "big"
    with make_client(docmost_settings) as client, pytest.raises(DownloadError, match="max_file_bytes"):
        client.download_file(entry["id"], entry["fileName"], target)
    assert not target.exists()


def test_the_export_size_key_of_earlier_releases_still_configures_the_cap() -> None:
    settings = DocmostSettings.model_validate({"url": BASE_URL, "export_max_bytes": 1234})
    assert settings.max_file_bytes == 1234


# ---- politeness ------------------------------------------------------------------------------------


def test_429_and_503_are_retried_when_the_server_says(
    routed: DocmostDouble, docmost_settings: DocmostSettings
) -> None:
    throttled = Reply(429, b'{"statusCode":429,"message":"Too many requests"}', {"retry-after": "7"})
    unavailable = Reply(503, b'{"statusCode":503,"message":"Service Unavailable"}', {"retry-after": "3"})
    routed.replies["/api/pages/info"] = [throttled, unavailable]
    sleeps: list[float] = []
    with make_client(docmost_settings, sleeps) as client:
        client.page(routed.page_id("kitchen", "Math"))
    assert sleeps == [7.0, 3.0]
    assert routed.count("/api/pages/info") == 3


def test_a_retry_after_longer_than_five_minutes_fails_instead_of_waiting(
    routed: DocmostDouble, docmost_settings: DocmostSettings
) -> None:
    routed.replies["/api/pages/info"] = [Reply(503, b"{}", {"retry-after": "3600"})]
    sleeps: list[float] = []
    with make_client(docmost_settings, sleeps) as client, pytest.raises(DocmostError, match="3600"):
        client.page(routed.page_id("kitchen", "Math"))
    assert sleeps == []


def test_502_is_retried_with_jittered_backoff(
    routed: DocmostDouble, docmost_settings: DocmostSettings
) -> None:
    routed.replies["/api/spaces"] = [Reply(502, b"{}", {}), Reply(502, b"{}", {})]
    sleeps: list[float] = []
    with make_client(docmost_settings, sleeps) as client:
        assert len(client.list_spaces()) == 5
    assert len(sleeps) == 2 and all(0 <= s <= 1.0 for s in sleeps)


@pytest.mark.parametrize(
    "failure",
    [Reply(504, b'{"message":"Gateway Timeout"}', {}), httpx.ReadTimeout("read timed out")],
    ids=["504", "read-timeout"],
)
def test_a_request_the_server_may_still_be_working_on_is_never_retried(
    docmost_settings: DocmostSettings, failure: Reply | Exception
) -> None:
    double = DocmostDouble()
    calls: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/pages/info":
            calls.append(request)
            if isinstance(failure, Exception):
                raise failure
            return httpx.Response(failure.status, content=failure.body)
        return double.respx_side_effect(request)

    sleeps: list[float] = []
    with respx.mock(base_url=BASE_URL) as router:
        router.route().mock(side_effect=answer)
        with make_client(docmost_settings, sleeps) as client, pytest.raises(DocmostError):
            client.page(double.page_id("kitchen", "Math"))
    assert len(calls) == 1
    assert sleeps == []


def test_404_is_not_retried(routed: DocmostDouble, docmost_settings: DocmostSettings) -> None:
    sleeps: list[float] = []
    with make_client(docmost_settings, sleeps) as client, pytest.raises(NotFoundError):
        client.page("01a22ec1-0000-7000-8000-000000000000")
    assert sleeps == []
    assert routed.count("/api/pages/info") == 1


def test_connect_errors_are_retried_then_reported(docmost_settings: DocmostSettings) -> None:
    attempts: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        raise httpx.ConnectError("connection refused", request=request)

    sleeps: list[float] = []
    client = DocmostClient(docmost_settings, transport=httpx.MockTransport(refuse), sleep=sleeps.append)
    with client:
        with pytest.raises(
            ServerUnavailableError,
            match=r"http://docmost.test is unreachable: connection refused \(POST /api/auth/login, 3 attempts\)",
        ):
            client.login()
        assert len(attempts) == 3
        assert len(sleeps) == 2
        # The server is gone for the rest of the run: nothing more is sent until the next run.
        with pytest.raises(ServerUnavailableError):
            client.list_spaces()
        assert len(attempts) == 3
        client.start_run()
        with pytest.raises(ServerUnavailableError):
            client.login()
        assert len(attempts) == 6


def test_no_more_requests_in_flight_than_configured(docmost_settings: DocmostSettings) -> None:
    """Eight callers, a server that holds every page request: exactly four reach it."""
    double = DocmostDouble()
    double.gate = threading.Event()
    arrived = threading.Condition()
    original = double._info

    def info(payload: dict[str, Any]) -> Reply:
        with arrived:
            arrived.notify_all()
        return original(payload)

    double._info = info  # type: ignore[method-assign]
    ids = [item["id"] for item in double.pages_of("eng")][:8]
    with double.serve() as url:
        settings = docmost_settings.model_copy(update={"url": url, "max_parallel_requests": 4})
        with DocmostClient(settings) as client:
            client.login()
            threads = [threading.Thread(target=client.page, args=(page_id,)) for page_id in ids]
            for thread in threads:
                thread.start()
            with arrived:
                assert arrived.wait_for(lambda: double.in_flight == 4, timeout=30)
                # the other four are queued inside the client, not on the wire
                assert arrived.wait_for(lambda: client._workers._tasks.qsize() == 4, timeout=30)
            assert double.in_flight == 4
            double.gate.set()
            for thread in threads:
                thread.join()
    assert double.max_in_flight == 4
    assert double.count("/api/pages/info") == 8


def test_cancel_abandons_a_request_the_server_holds(docmost_settings: DocmostSettings) -> None:
    """A stopping daemon does not wait for a hung server: the call returns while the server
    still holds the request."""
    double = DocmostDouble()
    double.gate = threading.Event()
    cancel = threading.Event()
    errors: list[BaseException] = []
    with double.serve() as url:
        settings = docmost_settings.model_copy(update={"url": url})
        with DocmostClient(settings, cancel=cancel) as client:

            def call() -> None:
                try:
                    client.page(double.page_id("kitchen", "Math"))
                except BaseException as exc:
                    errors.append(exc)

            caller = threading.Thread(target=call)
            caller.start()
            assert double.gate_reached.wait(timeout=30)
            cancel.set()
            caller.join(timeout=30)
            assert not caller.is_alive()
            assert not double.gate.is_set()  # the server has not answered
    assert len(errors) == 1 and isinstance(errors[0], CancelledError)
