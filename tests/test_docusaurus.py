"""The published output of every fixture space builds with a real Docusaurus 3 (mdx and detect),
with broken links, markdown links and images set to throw."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
import respx

from docmost_syncd.cli import main
from docmost_syncd.config import DocmostSettings, Settings
from tests.conftest import BASE_URL, PASSWORD
from tests.docmost_double import EXPORTS, DocmostDouble
from tests.test_sync import sync

SITE = Path(__file__).parent / "site"
NODE = shutil.which("node")
NPM = shutil.which("npm")

pytestmark = [
    pytest.mark.docusaurus,
    pytest.mark.skipif(
        NODE is None or NPM is None, reason="Node.js and npm are not installed on this machine"
    ),
]

# Export variants converted offline next to the synced spaces, so one build covers them all.
OFFLINE = {
    "sec-common-before-deletes": "sec-common.before-deletes.with-attachments.zip",
    "sec-common-no-attachments": "sec-common.without-attachments.zip",
    "eng-no-attachments": "eng.without-attachments.zip",
    "bulk-no-attachments": "bulk.without-attachments.zip",
}


@pytest.fixture(scope="session")
def node_modules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site's packages: tests/site/node_modules when .ci/run installed it, else a private
    `npm ci` from the lockfile into a session temp folder."""
    installed = SITE / "node_modules"
    if (installed / "@docusaurus" / "core").is_dir():
        return installed
    target = tmp_path_factory.mktemp("npm")
    shutil.copy(SITE / "package.json", target)
    shutil.copy(SITE / "package-lock.json", target)
    result = subprocess.run(
        [str(NPM), "ci", "--no-audit", "--no-fund"],
        cwd=target,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"npm ci for the test site failed:\n{result.stderr[-3000:]}")
    return target / "node_modules"


def make_site(root: Path, node_modules: Path) -> Path:
    """A throwaway copy of the site whose build and caches stay under tmp_path."""
    site = root / "site"
    site.mkdir()
    shutil.copy(SITE / "docusaurus.config.js", site)
    shutil.copy(SITE / "package.json", site)
    shutil.copytree(SITE / "src", site / "src")
    modules = site / "node_modules"
    modules.mkdir()
    for entry in node_modules.iterdir():
        if entry.name != ".cache":
            (modules / entry.name).symlink_to(entry)
    return site


def build(site: Path, docs: Path, fmt: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DOCMOST_SYNCD_DOCS": str(docs), "DOCMOST_SYNCD_FORMAT": fmt, "NO_COLOR": "1"}
    return subprocess.run(
        [str(NODE), "node_modules/@docusaurus/core/bin/docusaurus.mjs", "build", "--out-dir", f"build-{fmt}"],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )


PITFALL_PAGES = {
    "Setup: OIDC login": "Front matter with a colon in the title.",
    "OIDC ": "A title with a trailing space.",
    "Placeholders": 'Replace {placeholder} and {a b} and {"key": "value"} here.',
    "Angles": "Empty <> and closing </> and latency <5ms and <https://example.com> autolink.",
    "Raw HTML": '<table style="width: 100%"><tr><td style="color: red" colspan="2">cell</td></tr></table>\n\n'
    'line<br>break and <img src="https://example.com/x.png"> image\n\n<!-- a comment -->',
    "Rule first": "---\n\nA body that starts with a horizontal rule.",
}


def write_pitfalls_zip(path: Path) -> int:
    """A space in Docmost's export layout whose pages are the Docusaurus pitfall inputs and every
    input of the original tool's Wrap* vectors (those whose output broke MDX included)."""
    vectors = json.loads(
        (Path(__file__).parent / "fixtures/reference/original-tool-vectors.json").read_text()
    )
    inputs = [
        str(v["input"])
        for v in vectors
        if v["step"] in ("wrap_placeholders", "wrap_angle_brackets", "wrap_raw_html")
    ]
    pages = dict(PITFALL_PAGES)
    for start in range(0, len(inputs), 10):
        pages[f"Vectors {start:03d}"] = "\n\n".join(
            f"Case {start + i}:\n\n{text}" for i, text in enumerate(inputs[start : start + 10])
        )
    metadata: dict[str, object] = {"version": "0.95.0", "pages": {}}
    with zipfile.ZipFile(path, "w") as archive:
        for index, (title, body) in enumerate(pages.items()):
            name = title.replace(":", "").rstrip() + ".md"
            archive.writestr(name, f"# {title.strip()}\n\n{body}\n")
            metadata["pages"][quote(name)] = {  # type: ignore[index]
                "pageId": f"pitfall-{index}",
                "slugId": f"pit{index:07d}",
                "icon": None,
                "position": f"a{index:04d}",
                "parentPath": None,
            }
        archive.writestr("docmost-metadata.json", json.dumps(metadata))
    return len(pages)


@pytest.fixture(scope="module")
def published_docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("docs")
    docs = root / "docs"
    double = DocmostDouble(password=PASSWORD)
    settings = Settings(
        docmost=DocmostSettings(url=BASE_URL, email="admin@example.com", password=PASSWORD),
        output={"dir": docs},
        sync={"spaces_include": ["sec-common", "eng", "bulk", "empty"]},
    )
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        router.route().mock(side_effect=double.respx_side_effect)
        outcome = sync(settings)
    assert not outcome.failed  # type: ignore[attr-defined]
    for folder, zip_name in OFFLINE.items():
        assert main(["convert", str(EXPORTS / zip_name), "--output", str(docs), "--space", folder]) == 0
    pitfalls = root / "pitfalls-space-export.zip"
    count = write_pitfalls_zip(pitfalls)
    assert main(["convert", str(pitfalls), "--output", str(docs)]) == 0
    assert len(list((docs / "pitfalls").glob("*.md"))) == count
    return docs


_CODE = re.compile(r"<(code|pre)\b.*?</\1>", re.S)


def rendered_counts(build_docs: Path) -> dict[str, tuple[int, int, int]]:
    """Per space: HTML tables, admonitions, and {placeholders} shown as text (outside code)."""
    counts: dict[str, tuple[int, int, int]] = {}
    for space_dir in sorted(p for p in build_docs.iterdir() if p.is_dir()):
        tables = callouts = placeholders = 0
        for html_file in space_dir.rglob("index.html"):
            html = html_file.read_text(encoding="utf-8")
            article = html.split("<article", 1)[-1].split("</article>", 1)[0]
            prose = _CODE.sub("", article)
            tables += prose.count("<table")
            callouts += prose.count("theme-admonition-")
            placeholders += len(re.findall(r"\{[A-Za-z_][\w -]*\}", prose))
        counts[space_dir.name] = (tables, callouts, placeholders)
    return counts


@pytest.mark.parametrize("fmt", ["mdx", "detect"])
def test_every_fixture_space_builds(
    fmt: str, published_docs: Path, node_modules: Path, tmp_path: Path, record_property: object
) -> None:
    site = make_site(tmp_path, node_modules)
    result = build(site, published_docs, fmt)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "[SUCCESS]" in output
    pages = list((site / f"build-{fmt}" / "docs").rglob("index.html"))
    md_files = [p for p in published_docs.rglob("*.md") if "_assets" not in p.parts]
    assert len(pages) >= len(md_files)
    print(f"\n{fmt}: built {len(pages)} HTML pages from {len(md_files)} published pages")
    counts = rendered_counts(site / f"build-{fmt}" / "docs")
    for space, (tables, callouts, placeholders) in sorted(counts.items()):
        print(
            f"{fmt} {space}: {tables} tables, {callouts} callouts, {placeholders} placeholders rendered as content"
        )
    tables, callouts, placeholders = counts["sec-common"]
    assert (
        tables >= 1 and callouts >= 3 and placeholders >= 4
    )  # the Security365 page, Raw HTML 표, Markdown 원본


def test_rendered_page_shows_content_not_code(
    published_docs: Path, node_modules: Path, tmp_path: Path
) -> None:
    site = make_site(tmp_path, node_modules)
    result = build(site, published_docs, "mdx")
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    html = next(
        p.read_text()
        for p in (site / "build-mdx" / "docs" / "sec-common").rglob("index.html")
        if "Security365-hwangyeong" in str(p.parent.name) and "에러 페이지 개요" in p.read_text()
    )
    assert "{token}" in html  # braces shown literally, as Docmost shows them
    assert re.search(r"<table>.*401.*</table>", html, re.S)  # a GFM table renders as a table
    assert "admonition" in html  # :::info / :::danger render as admonitions
    assert "<details" in html and "접기 요약" in html
