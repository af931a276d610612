"""Wiki text is untrusted: synced and converted with hostile titles, text, URLs and attribute
values, built with the site kit and with a plain classic Docusaurus site, and loaded page by page
in headless Chromium. Nothing may run (no request for a canary path, no dialog, no script error,
no ``javascript:`` or ``on…`` attribute in a page), numbered titles build with their numbers, and
text stays the text Docmost shows."""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docmost_syncd.cli import main
from docmost_syncd.model import WORD_JOINER
from tests.conftest import PASSWORD
from tests.docmost_double import DocmostDouble
from tests.helpers import sync_recorded
from tests.hostile import CANARY, HostilePage, RecordingServer, add_pages, hostile_pages, page_urls, visit
from tests.sitekit import (
    KIT,
    KIT_IN_BROWSER,
    PLAIN,
    build,
    headless_chromium,
    make_site,
)

pytestmark = KIT_IN_BROWSER
pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

BREADCRUMB = "</script><img src=x onerror=fetch('/pwned-proof')><script>"
SPACES = {"2023-plans": "2023 Plans", "2024-plans": "2024 Plans"}
# The same attacks as an export ZIP's markdown, for `convert`.
HOSTILE_MARKDOWN = {
    BREADCRUMB: "Breadcrumb title.",
    "2023 Plan": "Yearly plan.",
    "2024 Plan": "Yearly plan.",
    "1. Intro": "Chapter one.",
    "01 Intro": "Chapter one again.",
    "Emoji": ":smile: and :+1: and ops@example.com",
    "Links": (
        f"[a](javascript:fetch('/{CANARY}-md-js')) [b](JaVaScRiPt:alert(1)) [c](&#106;avascript:alert(1)) "
        f"[d](vbscript:msgbox(1)) [e](data:text/html,<script>alert(1)</script>) <javascript:alert(1)> "
        f"![f](javascript:alert(1)) [g](https://example.com/ok)"
    ),
    "Markup": (
        f"<img src=/{CANARY}-md-img onerror=alert(1)> <script>fetch('/{CANARY}-md-script')</script> "
        f"<svg onload=alert(1)> <iframe src=\"javascript:alert(1)\"></iframe> "
        f'<span style="background:url(/{CANARY}-md-css)">styled</span> <a href="javascript:alert(1)">x</a>'
        f" {{alert(1)}} <!-- comment --> </script>"
    ),
}


# The same attacks as a page of the HTML export, where every element and data-* attribute is read.
HOSTILE_HTML = (
    f"<!DOCTYPE html><html><head><title></title><script>fetch('/{CANARY}-html-head')</script></head><body>"
    f"<h1>HTML <img src=/{CANARY}-html-title onerror=alert(1)></h1>"
    f"<p>text <img src=/{CANARY}-html-img onerror=alert(1)><script>fetch('/{CANARY}-html-script')</script>"
    f"<a href=\"javascript:fetch('/{CANARY}-html-js')\">a</a> <a href=\" jAvAsCrIpT:alert(1)\">b</a>"
    "<span data-type=\"status\" data-color='red\" onmouseover=\"alert(1)'>st</span>"
    "<span data-type=\"mention\" data-entity-type=\"page\" data-entity-id=\"x\" data-label='\"><img src=x onerror=alert(1)>'>m</span>"
    "<span data-type=\"mathInline\">\\href{javascript:alert(1)}{x}</span></p>"
    "<div data-type=\"callout\" data-callout-type='info\" onclick=\"alert(1)'><p>c</p></div>"
    "<div data-type=\"embed\" data-src=\"javascript:alert(1)\" data-provider=\"iframe\"></div>"
    f"<div data-type=\"pdf\" src=\"javascript:alert(1)\"><iframe src=\"/{CANARY}-html-iframe\"></iframe></div>"
    "<div data-type=\"attachment\" data-attachment-url=\"javascript:alert(1)\" data-attachment-name=\"</script>x\"></div>"
    f"<video src=\"javascript:alert(1)\"></video><audio><source src=\"/{CANARY}-html-audio\"></audio>"
    "<div data-type=\"drawio\" data-src=\"data:image/svg+xml,<svg onload=alert(1)>\" data-title=\"{alert(1)}\"></div>"
    f"<table><tr><td style=\"background-color: red;background:url(/{CANARY}-html-css)\">t</td></tr></table>"
    f"<ol start=\"1e9\"><li><p>{{alert(1)}}</p></li></ol><style>*{{background:url(/{CANARY}-html-style)}}</style>"
    "</body></html>"
)


def hostile_zip(path: Path) -> None:
    """A space export in Docmost's layout whose pages hold the attacks above."""
    metadata: dict[str, Any] = {"version": "0.95.0", "pages": {}}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("page-html.html", HOSTILE_HTML)
        metadata["pages"]["page-html.html"] = {
            "pageId": "hostile-html", "slugId": "hoshtml001", "icon": None, "position": "Z", "parentPath": None,
        }  # fmt: skip
        for index, (title, body) in enumerate(HOSTILE_MARKDOWN.items()):
            name = f"page-{index}.md"
            archive.writestr(name, f"# {title}\n\n{body}\n")
            metadata["pages"][name] = {
                "pageId": f"hostile-{index}", "slugId": f"hos{index:07d}", "icon": None,
                "position": f"a{index:04d}", "parentPath": None,
            }  # fmt: skip
        archive.writestr("docmost-metadata.json", json.dumps(metadata))


def publish(docs: Path, math: str, double: DocmostDouble, slugs: list[str]) -> None:
    sync_recorded(double, docs, math, slugs)


def named_double() -> DocmostDouble:
    double = DocmostDouble(password=PASSWORD)
    for slug, name in SPACES.items():
        double.add_space(slug, name)
        breadcrumb = double.create(slug, BREADCRUMB)
        double.create(slug, "Inside", breadcrumb)
        for year in ("2023", "2024"):
            plan = double.create(slug, f"{year} Plan")
            double.create(slug, "Budget", plan)
        double.create(slug, "1. Intro")
        double.create(slug, "01 Intro")
        double.create(slug, "Emoji", text=":smile: and :+1: and ops@example.com")
    return double


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with headless_chromium(tmp_path_factory.mktemp("chromium-profile")) as driver:
        yield driver


def built(root: Path, template: Path, docs: Path, kit_modules: Path, *, math: bool) -> Path:
    site = make_site(root, template, kit_modules)
    result = build(site, docs, "mdx", math=math)
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    return site / "build-mdx"


def read_everything(browser: Any, build_dir: Path, spaces: list[str]) -> tuple[list[str], list[str]]:
    """Every built page of the spaces loaded in the browser: what went wrong, and the canary
    paths the site's server was asked for."""
    server = RecordingServer()
    problems: list[str] = []
    with server.serve(build_dir) as url:
        urls = [page for space in spaces for page in page_urls(build_dir, url, space)]
        assert urls
        for page in urls:
            problems += visit(browser, page)
            problems += [f"{page}: {issue}" for issue in unsafe_attributes(browser)]
    return problems, server.canaries()


def unsafe_attributes(browser: Any) -> list[str]:
    """Script-bearing attributes anywhere in the page: ``on…`` handlers, ``srcdoc``, and URLs
    with a scheme that runs (``data:`` only as an image)."""
    found: list[str] = browser.execute_script(
        """
        const bad = [];
        for (const element of document.querySelectorAll('*')) {
          for (const attribute of element.attributes) {
            const name = attribute.name.toLowerCase();
            const value = attribute.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
            if (name.startsWith('on') || name === 'srcdoc') bad.push(element.tagName + ' ' + name);
            if (['href', 'src', 'data', 'action', 'formaction', 'xlink:href'].includes(name)) {
              if (value.startsWith('javascript:') || value.startsWith('vbscript:')) {
                bad.push(element.tagName + ' ' + name + '=' + attribute.value);
              }
              if (value.startsWith('data:') && !(element.tagName === 'IMG' && value.startsWith('data:image/'))) {
                bad.push(element.tagName + ' ' + name + '=' + attribute.value.slice(0, 40));
              }
            }
          }
        }
        return bad;
        """
    )
    return found


# ---- named cases: one build of two numbered spaces, with the kit and with a plain site --------------


@pytest.fixture(scope="module")
def named_builds(tmp_path_factory: pytest.TempPathFactory, kit_modules: Path) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("untrusted-named")
    builds = {}
    for site, template, math in (("kit", KIT, "katex"), ("plain", PLAIN, "text")):
        docs = root / f"docs-{site}"
        publish(docs, math, named_double(), list(SPACES))
        zip_path = root / "hostile-space-export.zip"
        hostile_zip(zip_path)
        assert main(["convert", str(zip_path), "--output", str(docs), "--space", "2025 Converted"]) == 0
        builds[site] = built(root / site, template, docs, kit_modules, math=math == "katex")
    return builds


FOLDERS = ["2023plans", "2024plans", "2025Converted"]


@pytest.mark.parametrize("site", ["kit", "plain"])
def test_nothing_in_the_named_cases_runs_in_a_reader_s_browser(
    site: str, named_builds: dict[str, Path], browser: Any
) -> None:
    problems, canaries = read_everything(browser, named_builds[site], FOLDERS)
    assert canaries == []
    assert problems == []


def text_of(browser: Any, selector: str) -> str:
    return str(browser.find_element(By.CSS_SELECTOR, selector).text).replace(WORD_JOINER, "")


def open_page(browser: Any, url: str) -> None:
    """Load a page and wait until React has hydrated it (the sidebar and the article are there)."""
    browser.get(url)
    WebDriverWait(browser, 60).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
        and d.find_elements(By.CSS_SELECTOR, "article h1")
        and d.find_elements(By.CSS_SELECTOR, ".menu__link")
    )


@pytest.mark.parametrize("site", ["kit", "plain"])
def test_a_title_that_closes_the_breadcrumbs_script_is_shown_as_its_text(
    site: str, named_builds: dict[str, Path], browser: Any
) -> None:
    build_dir = named_builds[site]
    inside = next(p for p in (build_dir / "docs" / "2023plans").rglob("index.html") if p.parent.name == "Inside")
    server = RecordingServer()
    with server.serve(build_dir) as url:
        open_page(browser, f"{url}/{inside.parent.relative_to(build_dir).as_posix()}/")
        crumbs = [e.text.replace(WORD_JOINER, "") for e in browser.find_elements(By.CSS_SELECTOR, ".breadcrumbs__link")]
        assert BREADCRUMB in crumbs  # the category's label, as Docmost shows the title
        scripts = browser.find_elements(By.CSS_SELECTOR, 'script[type="application/ld+json"]')
        assert scripts and all(json.loads(s.get_attribute("innerHTML")) for s in scripts)
        assert browser.find_elements(By.CSS_SELECTOR, "img[src='x']") == []
    assert server.canaries() == []


def test_the_kit_escapes_the_breadcrumbs_of_any_folder(
    tmp_path: Path, kit_modules: Path, browser: Any
) -> None:
    """A folder docmost-syncd did not write: its raw titles reach the kit's JSON-LD unbroken."""
    docs = tmp_path / "docs"
    folder = docs / "foreign" / "evil"
    folder.mkdir(parents=True)
    (folder / "_category_.json").write_text(json.dumps({"label": BREADCRUMB}))
    (folder / "page.md").write_text(f"---\ntitle: {json.dumps(BREADCRUMB)}\n---\n\nA page.\n")
    build_dir = built(tmp_path / "kit", KIT, docs, kit_modules, math=True)
    problems, canaries = read_everything(browser, build_dir, ["foreign"])
    assert canaries == [] and problems == []


@pytest.mark.parametrize("site", ["kit", "plain"])
def test_numbered_titles_keep_their_numbers_and_never_collide(
    site: str, named_builds: dict[str, Path], browser: Any
) -> None:
    build_dir = named_builds[site]
    for space in ("2023plans", "2024plans"):  # spaces, categories and pages alike
        routes = {p.parent.relative_to(build_dir / "docs" / space).as_posix() for p in (build_dir / "docs" / space).rglob("index.html")}
        assert {"2023Plan", "2024Plan", "2023Plan/Budget", "2024Plan/Budget", "1Intro", "01Intro"} <= routes, routes
    converted = {p.parent.name for p in (build_dir / "docs" / "2025Converted").rglob("index.html")}
    assert {"2023Plan", "2024Plan", "1Intro", "01Intro"} <= converted, converted  # convert alike
    server = RecordingServer()
    with server.serve(build_dir) as url:
        open_page(browser, f"{url}/docs/2023plans/1Intro/")
        assert text_of(browser, "article h1") == "1. Intro"
        labels = {e.text for e in browser.find_elements(By.CSS_SELECTOR, ".menu__link")}
        assert {"1. Intro", "01 Intro", "2023 Plan", "2024 Plan"} <= labels, labels
        open_page(browser, f"{url}/docs/2024plans/01Intro/")
        assert text_of(browser, "article h1") == "01 Intro"


@pytest.mark.parametrize("site", ["kit", "plain"])
def test_emoji_shortcodes_and_addresses_stay_text(site: str, named_builds: dict[str, Path], browser: Any) -> None:
    build_dir = named_builds[site]
    server = RecordingServer()
    with server.serve(build_dir) as url:
        for route in ("/docs/2023plans/Emoji/", "/docs/2025Converted/Emoji/"):
            open_page(browser, url + route)
            shown = text_of(browser, "article .markdown")
            assert ":smile: and :+1: and ops@example.com" in shown, shown
            assert "😄" not in shown and "👍" not in shown
            assert browser.find_elements(By.CSS_SELECTOR, "article .markdown a[href^='mailto']") == []


# ---- the property: any hostile content, built with the kit (and once with a plain site) -------------


@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(pages=hostile_pages(), plain=st.just(True))
def test_no_hostile_content_runs_or_breaks_the_build(
    pages: list[HostilePage], plain: bool, tmp_path_factory: pytest.TempPathFactory, kit_modules: Path,
    browser: Any,
) -> None:  # fmt: skip
    root = tmp_path_factory.mktemp("untrusted")
    double = DocmostDouble(password=PASSWORD)
    double.add_space("hostile", "Hostile")
    add_pages(double, "hostile", pages)
    sites = [("kit", KIT, "katex")]
    if not list(Path(str(tmp_path_factory.getbasetemp())).glob("untrusted*/plain")):
        sites.append(("plain", PLAIN, "text"))  # the same set once with a plain classic site
    for site, template, math in sites:
        docs = root / f"docs-{site}"
        publish(docs, math, double, ["hostile"])
        build_dir = built(root / site, template, docs, kit_modules, math=math == "katex")
        problems, canaries = read_everything(browser, build_dir, ["hostile"])
        assert canaries == [], canaries
        assert problems == [], problems
    assert plain
    assert re.search(r"\d", "".join(title for title, _icon, _nodes in pages))
