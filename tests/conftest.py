"""Shared fixtures: the recorded Docmost double, settings pointing at it, captured log lines."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import respx

from docmost_syncd.config import DocmostSettings, Settings
from docmost_syncd.log import configure_logging
from tests.docmost_double import DocmostDouble

BASE_URL = "http://docmost.test"
PASSWORD = "correct-password"


@pytest.fixture
def double() -> DocmostDouble:
    return DocmostDouble(password=PASSWORD)


@pytest.fixture
def docmost_settings() -> DocmostSettings:
    return DocmostSettings(url=BASE_URL, email="admin@example.com", password=PASSWORD, retries=2)


@pytest.fixture
def routed(double: DocmostDouble) -> Iterator[DocmostDouble]:
    """respx intercepts every request to BASE_URL and lets the double answer it."""
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        router.route().mock(side_effect=double.respx_side_effect)
        yield double


class LogCapture:
    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]

    def names(self) -> list[str]:
        return [event["event"] for event in self.events()]


@pytest.fixture
def logs() -> LogCapture:
    capture = LogCapture()
    configure_logging("json", "debug", stream=capture.stream)
    return capture


@pytest.fixture
def settings(tmp_path: Path, docmost_settings: DocmostSettings) -> Settings:
    return Settings(
        docmost=docmost_settings,
        output={"dir": tmp_path / "docs"},
        sync={"spaces_include": ["sec-common", "eng", "bulk", "empty"]},
    )
