"""The Docmost client against the recorded 0.95.0 responses (respx, loopback only)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import httpx
import pytest

from docmost_syncd.config import DocmostSettings
from docmost_syncd.docmost.client import DocmostClient
from docmost_syncd.errors import AuthError, DocmostError, DownloadError, RateLimitedError
from tests.conftest import PASSWORD, LogCapture
from tests.docmost_double import EXPORTS, TOKEN, DocmostDouble, Reply, _recorded, live_page_count


def make_client(settings: DocmostSettings, sleeps: list[float] | None = None) -> DocmostClient:
    record = sleeps if sleeps is not None else []
    return DocmostClient(settings, sleep=record.append)


def test_login_once_and_reuse_the_token(routed: DocmostDouble, docmost_settings: DocmostSettings) -> None:
    with make_client(docmost_settings) as client:
        client.list_spaces()
        client.page_tree(routed.space_ids["eng"])
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
    routed.login_replies.append(_recorded("auth-login-429-rate-limited"))
    sleeps: list[float] = []
    with make_client(docmost_settings, sleeps) as client:
        client.list_spaces()
    assert sleeps == [61.0]  # retry-after-auth: 60, plus a second of margin
    assert routed.count("/api/auth/login") == 2


def test_login_429_twice_fails_the_run_without_looping(
    routed: DocmostDouble, docmost_settings: DocmostSettings
) -> None:
    routed.login_replies += [
        _recorded("auth-login-429-rate-limited"),
        _recorded("auth-login-correct-password-while-throttled"),
    ]
    with make_client(docmost_settings) as client, pytest.raises(RateLimitedError) as error:
        client.list_spaces()
    assert error.value.retry_after_seconds == 42  # the second recording says retry-after-auth: 42
    assert "429" in str(error.value)
    assert routed.count("/api/auth/login") == 2


def test_429_longer_than_allowed_wait_fails_at_once(
    routed: DocmostDouble, docmost_settings: DocmostSettings
) -> None:
    docmost_settings.login_max_wait_seconds = 30
    routed.login_replies.append(_recorded("auth-login-429-rate-limited"))
    sleeps: list[float] = []
    with make_client(docmost_settings, sleeps) as client, pytest.raises(RateLimitedError):
        client.login()
    assert sleeps == []


def test_login_without_cookie_means_mfa_or_sso(
    routed: DocmostDouble, docmost_settings: DocmostSettings
) -> None:
    routed.login_replies.append(
        Reply(200, b'{"success":true,"status":200}', {"content-type": "application/json"})
    )
    with make_client(docmost_settings) as client, pytest.raises(AuthError, match="MFA or SSO"):
        client.login()


def test_expired_token_logs_in_again_once(routed: DocmostDouble, docmost_settings: DocmostSettings) -> None:
    with make_client(docmost_settings) as client:
        client.list_spaces()
        routed.valid_tokens.clear()  # the server revoked the session
        routed.valid_tokens.add("second-token")
        original = routed.answer

        def answer_with_new_token(method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
            reply = original(method, path, headers, body)
            if path == "/api/auth/login" and reply.status == 200:
                reply.headers["set-cookie"] = "authToken=second-token; Path=/; HttpOnly"
            return reply

        routed.answer = answer_with_new_token  # type: ignore[method-assign]
        spaces = client.list_spaces()
    assert len(spaces) == 27
    assert routed.count("/api/auth/login") == 2


def test_401_after_fresh_login_fails_clearly(
    routed: DocmostDouble, docmost_settings: DocmostSettings
) -> None:
    routed.valid_tokens.clear()
    with make_client(docmost_settings) as client, pytest.raises(AuthError, match="401"):
        client.list_spaces()
    assert routed.count("/api/auth/login") == 2


def test_spaces_are_paginated_to_the_end(routed: DocmostDouble, docmost_settings: DocmostSettings) -> None:
    with make_client(docmost_settings) as client:
        spaces = client.list_spaces()
    assert len(spaces) == 27  # 10 + 10 + 7 across three cursor pages
    assert len({space.id for space in spaces}) == 27
    assert routed.count("/api/spaces") == 3


@pytest.mark.parametrize("slug", ["sec-common", "eng", "bulk", "empty"])
def test_page_tree_finds_every_live_page(
    routed: DocmostDouble, docmost_settings: DocmostSettings, slug: str
) -> None:
    with make_client(docmost_settings) as client:
        tree = client.page_tree(routed.space_ids[slug])
    assert len(tree) == live_page_count(slug)  # bulk: 231, where the original tool found 20
    assert len({page.id for page in tree}) == len(tree)


def test_page_tree_orders_siblings_bytewise(routed: DocmostDouble, docmost_settings: DocmostSettings) -> None:
    with make_client(docmost_settings) as client:
        tree = client.page_tree(routed.space_ids["bulk"])
    roots = [page for page in tree if page.parent_id is None]
    positions = [page.position.encode() for page in roots]
    assert positions == sorted(positions)
    assert len(roots) == 121  # 100 on the first cursor page, 21 on the second


def test_export_streams_a_verified_zip(
    routed: DocmostDouble, docmost_settings: DocmostSettings, tmp_path: Path
) -> None:
    target = tmp_path / "sec.zip"
    with make_client(docmost_settings) as client:
        assert client.export_space(routed.space_ids["sec-common"], target) is True
    assert target.read_bytes() == (EXPORTS / "sec-common.with-attachments.zip").read_bytes()
    assert zipfile.ZipFile(target).testzip() is None


def test_export_of_empty_space_is_not_an_error(
    routed: DocmostDouble, docmost_settings: DocmostSettings, tmp_path: Path
) -> None:
    target = tmp_path / "empty.zip"
    with make_client(docmost_settings) as client:
        assert client.export_space(routed.space_ids["empty"], target) is False
    assert not target.exists()


def test_export_500_fails_after_no_retry(
    routed: DocmostDouble, docmost_settings: DocmostSettings, tmp_path: Path
) -> None:
    routed.export_overrides["eng"] = _recorded("spaces-export-non-uuid-space-id")
    target = tmp_path / "eng.zip"
    with make_client(docmost_settings) as client, pytest.raises(DownloadError, match="HTTP 500"):
        client.export_space(routed.space_ids["eng"], target)
    assert not target.exists()
    assert routed.count("/api/spaces/export") == 1  # a 500 is not one of the retried statuses


def test_export_truncated_body_is_a_failed_download(
    routed: DocmostDouble, docmost_settings: DocmostSettings, tmp_path: Path
) -> None:
    whole = routed.export_bytes["sec-common"]
    routed.export_bytes["sec-common"] = whole[: len(whole) // 2]
    with make_client(docmost_settings) as client, pytest.raises(DownloadError, match="not a complete ZIP"):
        client.export_space(routed.space_ids["sec-common"], tmp_path / "sec.zip")


def test_export_corrupt_entry_fails_its_crc(
    routed: DocmostDouble, docmost_settings: DocmostSettings, tmp_path: Path
) -> None:
    data = bytearray(routed.export_bytes["eng"])
    with zipfile.ZipFile(EXPORTS / "eng.with-attachments.zip") as archive:
        info = next(i for i in archive.infolist() if i.compress_size > 50)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 10
    data[start] ^= 0xFF
    routed.export_bytes["eng"] = bytes(data)
    with make_client(docmost_settings) as client, pytest.raises(DownloadError):
        client.export_space(routed.space_ids["eng"], tmp_path / "eng.zip")


def test_export_over_the_size_cap_stops(
    routed: DocmostDouble, docmost_settings: DocmostSettings, tmp_path: Path
) -> None:
    docmost_settings.export_max_bytes = 1000
    with make_client(docmost_settings) as client, pytest.raises(DownloadError, match="export_max_bytes"):
        client.export_space(routed.space_ids["eng"], tmp_path / "eng.zip")
    assert not (tmp_path / "eng.zip").exists()


def test_503_is_retried_with_backoff(
    routed: DocmostDouble, docmost_settings: DocmostSettings, tmp_path: Path
) -> None:
    replies = [Reply(503, b"{}", {}), Reply(502, b"{}", {})]
    original = routed.answer

    def flaky(method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        if path == "/api/spaces" and replies:
            return replies.pop(0)
        return original(method, path, headers, body)

    routed.answer = flaky  # type: ignore[method-assign]
    sleeps: list[float] = []
    with make_client(docmost_settings, sleeps) as client:
        assert len(client.list_spaces()) == 27
    assert len(sleeps) == 2
    assert all(0 <= s <= 1.0 for s in sleeps)


def test_404_is_not_retried(routed: DocmostDouble, docmost_settings: DocmostSettings) -> None:
    sleeps: list[float] = []
    with (
        make_client(docmost_settings, sleeps) as client,
        pytest.raises(DocmostError, match="Space permissions not found"),
    ):
        client.page_tree("958589fc-10cf-41f1-b236-c258e806c975")
    assert sleeps == []


def test_connect_errors_are_retried_then_reported(docmost_settings: DocmostSettings) -> None:
    attempts: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        raise httpx.ConnectError("connection refused", request=request)

    sleeps: list[float] = []
    client = DocmostClient(docmost_settings, transport=httpx.MockTransport(refuse), sleep=sleeps.append)
    with client, pytest.raises(DocmostError, match="ConnectError after 3 attempt"):
        client.login()
    assert len(attempts) == 3
    assert len(sleeps) == 2


def test_single_page_export_returns_markdown(
    routed: DocmostDouble, docmost_settings: DocmostSettings
) -> None:
    page_id = next(pid for pid, (slug, slug_id) in routed.page_slug_id.items() if slug_id == "BeAMnFyKHi")
    with make_client(docmost_settings) as client:
        markdown = client.export_page(page_id)
    assert markdown.startswith("# Q&A @team")


def test_api_token_is_sent_as_bearer_without_login(routed: DocmostDouble) -> None:
    settings = DocmostSettings(url="http://docmost.test", api_token=TOKEN)
    with DocmostClient(settings) as client:
        assert len(client.list_spaces()) == 27
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


def test_streamed_export_retries_502_and_logs_in_again_on_401(
    routed: DocmostDouble, docmost_settings: DocmostSettings, tmp_path: Path
) -> None:
    replies = [Reply(502, b"{}", {})]
    original = routed.answer

    def flaky_then_new_session(method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        if path == "/api/spaces/export" and replies:
            return replies.pop(0)
        reply = original(method, path, headers, body)
        if path == "/api/auth/login" and reply.status == 200 and "second-token" in routed.valid_tokens:
            reply.headers["set-cookie"] = "authToken=second-token; Path=/; HttpOnly"
        return reply

    routed.answer = flaky_then_new_session  # type: ignore[method-assign]
    sleeps: list[float] = []
    with make_client(docmost_settings, sleeps) as client:
        assert client.export_space(routed.space_ids["eng"], tmp_path / "first.zip") is True
        assert len(sleeps) == 1  # the 502, retried once
        routed.valid_tokens = {"second-token"}  # the first session was revoked: the export gets a 401
        assert client.export_space(routed.space_ids["eng"], tmp_path / "second.zip") is True
    assert routed.count("/api/auth/login") == 2  # exactly one re-login
    assert (tmp_path / "second.zip").read_bytes() == routed.export_bytes["eng"]
