"""Shared fixtures: the recorded Docmost double, settings pointing at it, captured log lines."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import respx
import structlog

from docmost_syncd.cli import main
from docmost_syncd.config import DocmostSettings, Settings
from docmost_syncd.log import configure_logging
from tests.docmost_double import DocmostDouble
from tests.helpers import sync_recorded
from tests.sitekit import (
    KIT,
    NODE,
    NODE_MISSING,
    NPM,
    build,
    install_node_modules,
    make_site,
    write_pitfalls_zip,
)

BASE_URL = "http://docmost.test"
PASSWORD = "correct-password"
SPACES = ["sec-common", "eng", "bulk", "empty", "kitchen"]  # the recorded spaces of 0.95.0


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


@pytest.fixture(autouse=True)
def _logging_follows_each_test() -> Iterator[None]:
    """A CLI run inside a test points structlog at that test's captured stderr, which pytest
    closes afterwards: the next test must not write to it."""
    yield
    structlog.reset_defaults()


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
        sync={"spaces_include": SPACES},
    )


# ---- the published output and real Docusaurus builds of it (test_docusaurus, test_browser) ----

# Export variants converted offline next to the synced spaces, so one build covers them all.
OFFLINE = {
    "sec-common-before-deletes": "sec-common.before-deletes.with-attachments.zip",
    "sec-common-no-attachments": "sec-common.without-attachments.zip",
    "eng-no-attachments": "eng.without-attachments.zip",
    "bulk-no-attachments": "bulk.without-attachments.zip",
    "sec-common-html": "sec-common.html.with-attachments.zip",  # the HTML export
}
# Exports of the older servers, whose ZIPs name and link pages their own ways (see `convert`).
OLDER = {
    f"v{version.replace('.', '')}-{space}": f"docmost-{version}-pages/exports/{space}.with-attachments.zip"
    for version in ("0.70.3", "0.80.2", "0.90.1")
    for space in ("seccommon", "eng")
}


PUBLIC_DOCMOST = "https://wiki.example.test"  # docmost.public_url of the kit's builds
MOVED_PAGE = "FAQ"  # moved from eng to bulk between the two syncs: its old eng URL redirects
FIRST_H1 = "h1-at-the-top"  # the id of the H1 that the eng page "Code Review" starts with
# The kit's builds have their own settings (site/settings.js): address, title, logo, links.
SITE_SETTINGS = {
    "url": "https://docs.example.test",
    "title": "Lab Handbook",
    "tagline": "The lab's wiki, published",
    "assets": "brand",
    "logo": "lab-logo.svg",
    "favicon": "lab-logo.svg",
    "navbar": [{"label": "Docmost", "href": PUBLIC_DOCMOST}],
    "footer": [{"label": "Contact", "href": "mailto:docs@example.test"}],
    "copyright": "Lab",
}
SAMPLE_TITLE = "보안 공통 문서 (내보내기)"  # convert --title of the sample export


def publish_everything(docs: Path, math: str, scratch: Path) -> None:
    """Every recorded 0.95.0 space synced (in ``math`` mode), the export variants and the older
    servers' exports converted."""
    double = DocmostDouble(password=PASSWORD)
    # A page whose body starts with an H1 (Docusaurus shows it as the page's title), and a link
    # to that heading from the page that is moved to another space below.
    code_review = double.page_id("eng", "Code Review")
    double.set_content(code_review, [
        {"type": "heading", "attrs": {"id": FIRST_H1, "level": 1}, "content": [{"type": "text", "text": "Reviewing code"}]},
        {"type": "paragraph", "content": [{"type": "text", "text": "Two approvals before a merge."}]},
    ])  # fmt: skip
    faq = double.page_id("eng", MOVED_PAGE)
    href = f"/s/eng/p/code-review-{double.info[code_review]['slugId']}#{FIRST_H1}"
    double.set_content(faq, [{"type": "paragraph", "content": [
        {"type": "text", "text": "How we review", "marks": [{"type": "link", "attrs": {"href": href}}]}]}])  # fmt: skip
    sync_recorded(double, docs, math, SPACES, public_url=PUBLIC_DOCMOST)
    # A second sync after an edit leaves a spare (a retired copy, pages and all) in the hidden
    # state folder inside the docs: the builds must not pick it up.
    double.edit(double.pages_of("bulk")[0]["id"])
    double.move_to_space(faq, "bulk")
    sync_recorded(double, docs, math, SPACES, public_url=PUBLIC_DOCMOST)
    assert list((docs / ".docmost-syncd" / "bulk_spare").rglob("*.md")), "no spare to test"
    exports = Path(__file__).parent / "fixtures" / "docmost-0.95.0" / "exports"
    for folder, zip_name in OFFLINE.items():
        assert main(["convert", str(exports / zip_name), "--output", str(docs), "--space", folder]) == 0
    for folder, path in OLDER.items():
        export = Path(__file__).parent / "fixtures" / path
        assert main(["convert", str(export), "--output", str(docs), "--space", folder]) == 0
    sample = Path(__file__).parent.parent / "examples" / "sec-common-space-export.zip"
    assert main(["convert", str(sample), "--output", str(docs), "--space", "sample", "--math", math,
                 "--title", SAMPLE_TITLE]) == 0  # fmt: skip
    pitfalls = scratch / "pitfalls-space-export.zip"
    write_pitfalls_zip(pitfalls)
    assert main(["convert", str(pitfalls), "--output", str(docs)]) == 0


@pytest.fixture(scope="session")
def published_docs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same wiki published twice: with math for KaTeX, and with the default text math."""
    root = tmp_path_factory.mktemp("published")
    folders = {}
    for math in ("katex", "text"):
        folders[math] = root / math
        publish_everything(folders[math], math, root)
    return folders


@pytest.fixture(scope="session")
def kit_modules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if NODE is None or NPM is None:
        pytest.skip(NODE_MISSING)
    return install_node_modules(tmp_path_factory.mktemp("npm"))


SiteBuild = tuple[Path, str, int]  # build folder, what the build printed, its exit status


@pytest.fixture(scope="session")
def kit_build(
    kit_modules: Path, published_docs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], SiteBuild]:
    """The site kit built once per markdown format over the KaTeX output."""
    builds: dict[str, SiteBuild] = {}

    def get(fmt: str) -> SiteBuild:
        if fmt not in builds:
            site = make_site(tmp_path_factory.mktemp(f"kit-{fmt}"), KIT, kit_modules)
            (site / "brand").mkdir()
            (site / "brand" / "lab-logo.svg").write_text(
                '<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32"><circle cx="16" cy="16" r="14"/></svg>'
            )
            (site / "site.config.json").write_text(json.dumps(SITE_SETTINGS, ensure_ascii=False))
            result = build(site, published_docs["katex"], fmt)
            builds[fmt] = (site / f"build-{fmt}", result.stdout + result.stderr, result.returncode)
        return builds[fmt]

    return get
