"""What a reader sees: the site kit's build of the Kitchen Sink, served from a loopback port and
looked at in a real headless Chromium (Debian's package, driven through its chromedriver). The
assertions are on the live DOM, after React and the theme's scripts ran: mermaid diagrams as
SVG, KaTeX markup, players, embeds, Docmost's heading ids, merged cells, badges, columns, and
the offline search finding a page by a Korean and by an English word."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIRST_H1, MOVED_PAGE, PUBLIC_DOCMOST, SAMPLE_TITLE, SITE_SETTINGS, SiteBuild
from tests.sitekit import KIT_IN_BROWSER, headless_chromium, serve_directory

WAIT_SECONDS = 60

pytestmark = KIT_IN_BROWSER

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def site_url(kit_build: Callable[[str], SiteBuild]) -> Iterator[str]:
    build_dir, output, status = kit_build("mdx")
    assert status == 0, output[-4000:]
    with serve_directory(build_dir) as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with headless_chromium(tmp_path_factory.mktemp("chromium-profile")) as driver:
        yield driver


def open_page(browser: Any, url: str) -> None:
    browser.get(url)
    WebDriverWait(browser, WAIT_SECONDS).until(lambda d: d.find_elements(By.CSS_SELECTOR, "article h1"))


def count(browser: Any, selector: str) -> int:
    return len(browser.find_elements(By.CSS_SELECTOR, selector))


def test_mermaid_blocks_are_drawn_as_svg(browser: Any, site_url: str) -> None:
    open_page(browser, f"{site_url}/docs/kitchen/Code-and-Diagrams")
    WebDriverWait(browser, WAIT_SECONDS).until(lambda d: count(d, ".docusaurus-mermaid-container svg") >= 1)
    svg = browser.find_element(By.CSS_SELECTOR, ".docusaurus-mermaid-container svg")
    assert {"Start", "Decide", "Ship", "Fix"} <= set(svg.text.split())
    # small SVGs are inlined by Docusaurus as data: URLs; the alt text names them
    assert count(browser, "article img[alt='drawio-diagram.drawio.svg']") == 1
    assert count(browser, "article img[alt='excalidraw-sketch.excalidraw.svg']") == 1


def test_every_formula_is_katex(browser: Any, site_url: str) -> None:
    open_page(browser, f"{site_url}/docs/kitchen/Math")
    assert count(browser, "article .katex") == 4  # two inline, two blocks
    assert count(browser, "article .katex-display") == 2
    assert count(browser, "article .katex-error") == 0
    assert "\\frac" not in browser.find_element(By.CSS_SELECTOR, "article .markdown").text


def test_players_pdf_and_files(browser: Any, site_url: str) -> None:
    open_page(browser, f"{site_url}/docs/kitchen/Media-and-Files")
    videos = browser.find_elements(By.CSS_SELECTOR, "article video[controls]")
    audios = browser.find_elements(By.CSS_SELECTOR, "article audio[controls]")
    assert len(videos) == 2 and len(audios) == 2
    assert all(element.get_attribute("src") for element in videos + audios)
    assert count(browser, "article object[type='application/pdf']") == 1
    sized = browser.find_element(By.CSS_SELECTOR, "article .docmost-image--sized")
    assert sized.value_of_css_property("width") == "64px"
    assert [a.text for a in browser.find_elements(By.CSS_SELECTOR, "article a[href*='notes']")] == [
        "notes.txt"
    ]


def test_an_iframe_per_embed(browser: Any, site_url: str) -> None:
    open_page(browser, f"{site_url}/docs/kitchen/Embeds")
    frames = browser.find_elements(By.CSS_SELECTOR, "article iframe.docmost-embed-frame")
    assert len(frames) == 11  # 10 embed providers and the YouTube node; the generic iframe is a link
    assert count(browser, "article a[href='https://example.com/widget?a=1&b=2']") == 1
    sources = [frame.get_attribute("src") for frame in frames]
    assert "https://player.vimeo.com/video/76979871" in sources
    assert "https://www.youtube.com/embed/dQw4w9WgXcQ" in sources


def test_docmost_heading_ids_are_the_anchors(browser: Any, site_url: str) -> None:
    open_page(browser, f"{site_url}/docs/kitchen/Text-and-Marks")
    assert browser.find_element(By.ID, "h-text-target").tag_name == "h2"
    assert browser.find_element(By.ID, "h-text-h3").tag_name == "h3"
    assert browser.find_element(By.CSS_SELECTOR, "article u").text == "underline"
    highlight = browser.find_element(By.CSS_SELECTOR, "article mark[style]")
    assert highlight.value_of_css_property("background-color") == "rgba(140, 233, 154, 1)"
    open_page(browser, f"{site_url}/docs/kitchen/Links-Mentions-and-Anchors")
    link = browser.find_element(By.LINK_TEXT, "Text page heading")
    assert link.get_attribute("href") == f"{site_url}/docs/kitchen/Text-and-Marks#h-text-target"
    link.click()
    WebDriverWait(browser, WAIT_SECONDS).until(lambda d: d.current_url.endswith("#h-text-target"))
    assert browser.find_element(By.ID, "h-text-target").is_displayed()


def test_merged_cells_keep_their_shape(browser: Any, site_url: str) -> None:
    open_page(browser, f"{site_url}/docs/kitchen/Tables")
    spans = browser.find_element(By.XPATH, "//th[normalize-space()='Spans two columns']")
    assert spans.get_attribute("colspan") == "2"
    row_header = browser.find_element(By.XPATH, "//th[normalize-space()='Row header']")
    assert row_header.get_attribute("rowspan") == "2"
    yellow = browser.find_element(By.XPATH, "//td[normalize-space()='beta']")
    assert yellow.value_of_css_property("background-color") == "rgba(255, 224, 102, 1)"
    assert count(browser, "article table li") == 2  # a list inside a cell


def test_badges_columns_and_synced_blocks(browser: Any, site_url: str) -> None:
    open_page(browser, f"{site_url}/docs/kitchen/Layout-Blocks")
    badge = browser.find_element(By.CSS_SELECTOR, ".docmost-status--blue")
    assert badge.text == "IN PROGRESS"  # uppercase, as Docmost draws it
    assert badge.value_of_css_property("background-color") == "rgba(191, 227, 253, 1)"
    columns = browser.find_elements(By.CSS_SELECTOR, ".docmost-columns")
    assert len(columns) == 2 and columns[0].value_of_css_property("display") == "flex"
    left, right = columns[0].find_elements(By.CSS_SELECTOR, ".docmost-column")
    assert (
        left.location["y"] == right.location["y"] and left.location["x"] < right.location["x"]
    )  # side by side
    synced = browser.find_elements(By.CSS_SELECTOR, ".docmost-synced-block")
    assert [block.text for block in synced] == ["This paragraph is a synced block source."] * 2
    assert [a.text for a in browser.find_elements(By.CSS_SELECTOR, "article ul a[href*='Layout-Child']")] == [
        "Layout Child A",
        "Layout Child B",
    ]


@pytest.mark.parametrize(
    ("word", "title"),
    [("다이어그램", "머메이드"), ("blockquote", "Lists and Quotes")],
    ids=["korean", "english"],
)
def test_search_finds_a_page_by_a_word_of_it(browser: Any, site_url: str, word: str, title: str) -> None:
    open_page(browser, f"{site_url}/docs/kitchen/Math")
    # React re-renders while the page hydrates and as results arrive: re-find, never hold on.
    patient = WebDriverWait(browser, WAIT_SECONDS, ignored_exceptions=[StaleElementReferenceException])
    patient.until(lambda d: d.execute_script("return document.readyState") == "complete")
    box = patient.until(lambda d: d.find_element(By.CSS_SELECTOR, "input.pagefind-ui__search-input"))
    box.click()
    box.send_keys(word)

    def results(driver: Any) -> list[str] | None:
        shown = [r.text for r in driver.find_elements(By.CSS_SELECTOR, ".pagefind-ui__result-link") if r.text]
        return shown or None

    found = patient.until(results)
    assert any(title in text for text in found), found
    assert all(" · " in text for text in found), found  # each result names its page and its space


def test_the_browser_saw_no_script_errors(browser: Any, site_url: str) -> None:
    open_page(browser, f"{site_url}/docs/kitchen/Layout-Blocks")
    logs = browser.get_log("browser")
    errors = [
        entry["message"] for entry in logs if entry["level"] == "SEVERE" and "127.0.0.1" in entry["message"]
    ]
    assert errors == []


def test_the_home_page_links_every_space_and_every_space_has_a_page(
    browser: Any, site_url: str, kit_build: Callable[[str], SiteBuild]
) -> None:
    build_dir, _output, _status = kit_build("mdx")
    spaces = sorted(p.name for p in (build_dir / "docs").iterdir() if p.is_dir() and not p.name.startswith("."))
    browser.get(f"{site_url}/")
    WebDriverWait(browser, WAIT_SECONDS).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".docmost-spaces li a"))
    links = {a.get_attribute("href").rstrip("/") for a in browser.find_elements(By.CSS_SELECTOR, ".docmost-spaces li a")}
    assert links == {f"{site_url}/docs/{space}" for space in spaces}
    for space in spaces:
        browser.get(f"{site_url}/docs/{space}/")
        WebDriverWait(browser, WAIT_SECONDS).until(lambda d: d.find_elements(By.CSS_SELECTOR, "h1"))
        assert "Page Not Found" not in browser.find_element(By.CSS_SELECTOR, "h1").text, space
        assert browser.find_elements(By.CSS_SELECTOR, "article a[href*='/docs/']"), space  # its pages, listed
    browser.get(f"{site_url}/docs/")
    WebDriverWait(browser, WAIT_SECONDS).until(lambda d: d.current_url.rstrip("/") == site_url)


def test_the_sample_export_s_formulas_are_katex(browser: Any, site_url: str) -> None:
    """`convert --math katex` of the bundled sample: Docmost's doubled backslashes undone, no
    brace escaped, every formula drawn by KaTeX."""
    for page in ("Markdown-wonbon", "Security365-hwangyeong-injeung-inga-gwanryeon-gongtong-ereo-peiji"):
        open_page(browser, f"{site_url}/docs/sample/{page}")
        assert count(browser, "article .katex") >= 1, page
        assert count(browser, "article .katex-error") == 0, page
        text = browser.find_element(By.CSS_SELECTOR, "article .markdown").text
        assert "\\{" not in text and "\\frac" not in text and "{/1}" not in text, page


# ---- the site readers and authors expect ---------------------------------------------------------


def patient(browser: Any) -> Any:
    # React re-renders while the page hydrates: re-find, never hold on.
    return WebDriverWait(browser, WAIT_SECONDS, ignored_exceptions=[StaleElementReferenceException])


def test_the_site_has_its_own_name_logo_and_address(
    browser: Any, site_url: str, kit_build: Callable[[str], SiteBuild]
) -> None:
    """site.config.json (outside the kit's own files) names the site, its logo, its address and
    its links; the canonical link and the sitemap name the configured address."""
    open_page(browser, f"{site_url}/docs/kitchen/Math")
    patient(browser).until(lambda d: d.title == f"Math | {SITE_SETTINGS['title']}")
    assert browser.find_element(By.CSS_SELECTOR, ".navbar__title").text == SITE_SETTINGS["title"]
    logo = browser.find_element(By.CSS_SELECTOR, ".navbar__logo img")
    assert logo.get_attribute("src") == f"{site_url}/lab-logo.svg"
    canonical = browser.execute_script("return document.querySelector('link[rel=canonical]').href")
    assert canonical.rstrip("/") == "https://docs.example.test/docs/kitchen/Math"
    icon = browser.execute_script("return document.querySelector('link[rel=icon]').getAttribute('href')")
    assert icon == "/lab-logo.svg"
    navbar = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, ".navbar__items--right a")]
    assert f"{PUBLIC_DOCMOST}/" in navbar or PUBLIC_DOCMOST in navbar, navbar
    assert browser.find_element(By.CSS_SELECTOR, "footer a[href='mailto:docs@example.test']").text.startswith("Contact")
    build_dir, output, _status = kit_build("mdx")
    sitemap = (build_dir / "sitemap.xml").read_text()
    assert re.search(r"<loc>https://docs\.example\.test/docs/kitchen/Math/?</loc>", sitemap), sitemap[:500]
    assert "localhost" not in sitemap
    assert "still http://localhost" not in output  # the address is set: no warning


def test_the_docmost_link_opens_the_page_at_the_public_docmost_address(browser: Any, site_url: str) -> None:
    open_page(browser, f"{site_url}/docs/kitchen/Math")
    link = patient(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, "a.theme-edit-this-page"))
    assert link.text == "Edit in Docmost"
    assert link.get_attribute("href").startswith(f"{PUBLIC_DOCMOST}/s/kitchen/p/math-")
    assert "docmost.test" not in browser.page_source  # the address docmost-syncd connects at


def test_the_old_url_of_a_page_moved_to_another_space_lands_on_it(
    browser: Any, site_url: str, published_docs: dict[str, Path]
) -> None:
    redirects = json.loads((published_docs["katex"] / "eng" / "_redirects.json").read_text())["redirects"]
    [old] = [r["from"] for r in redirects if r["to"] == f"bulk/{MOVED_PAGE}"]
    assert old.startswith("eng/") and MOVED_PAGE in old
    browser.get(f"{site_url}/docs/{old}")
    patient(browser).until(lambda d: d.current_url.rstrip("/").endswith(f"/docs/bulk/{MOVED_PAGE}"))
    heading = patient(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, "article h1"))
    assert heading.text == MOVED_PAGE


def test_a_link_to_a_page_s_first_heading_scrolls_to_it(browser: Any, site_url: str) -> None:
    """The page starts with an H1, which Docusaurus shows as its title: its id, Docmost's, is on
    an anchor inside it."""
    open_page(browser, f"{site_url}/docs/bulk/{MOVED_PAGE}")
    browser.execute_script("window.scrollTo(0, 0)")
    patient(browser).until(lambda d: d.find_element(By.LINK_TEXT, "How we review")).click()
    patient(browser).until(lambda d: d.current_url.endswith(f"/Code-Review#{FIRST_H1}") and "/docs/eng/" in d.current_url)
    anchor = patient(browser).until(lambda d: d.find_element(By.ID, FIRST_H1))
    heading = anchor.find_element(By.XPATH, "..")
    assert heading.tag_name == "h1" and heading.text == "Reviewing code"
    assert count(browser, f"[id='{FIRST_H1}']") == 1
    top = browser.execute_script(f"return document.getElementById('{FIRST_H1}').getBoundingClientRect().top")
    navbar = browser.execute_script("return document.querySelector('.navbar').getBoundingClientRect().bottom")
    assert navbar - 1 <= top < navbar + 120  # in view, just below the navbar


def test_a_backslash_in_a_title_is_drawn_as_a_backslash(browser: Any, site_url: str, tmp_path: Any) -> None:
    """Docusaurus cannot take a backslash in a title (it copies titles into JavaScript unescaped):
    docmost-syncd writes U+2216, which the default fonts draw (here DejaVu; Segoe UI Symbol,
    Apple's and Noto's elsewhere). The screenshot was looked at; the DOM is what is asserted."""
    page = "Security365-hwangyeong-injeung-inga-gwanryeon-gongtong-ereo-peiji/Win-bad-chars-end"
    open_page(browser, f"{site_url}/docs/sec-common/{page}")
    title = browser.find_element(By.CSS_SELECTOR, "article h1").text
    assert title == "Win: bad <chars> | * ? \u2216 end.", title
    sidebar = browser.find_element(By.CSS_SELECTOR, "a.menu__link--active[aria-current=page]").text
    assert "\u2216" in sidebar and "\u29f5" not in browser.page_source
    browser.save_screenshot(str(tmp_path / "backslash-title.png"))


def test_a_formula_shows_once_in_search_results_as_its_latex(browser: Any, site_url: str, tmp_path: Any) -> None:
    open_page(browser, f"{site_url}/docs/kitchen/Tables")
    box = patient(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, "input.pagefind-ui__search-input"))
    box.click()
    box.send_keys("fraction")

    def excerpts(driver: Any) -> list[str] | None:
        shown = [r.text for r in driver.find_elements(By.CSS_SELECTOR, ".pagefind-ui__result-excerpt") if r.text]
        return shown or None

    found = patient(browser).until(excerpts)
    browser.save_screenshot(str(tmp_path / "formula-in-search.png"))
    math = [text for text in found if "mc^2" in text]
    assert len(math) == 1, found  # the Math page, not also its space's index card
    assert math[0].count("\\frac{a}{b}") == 1 and "mc2" not in math[0].replace("mc^2", ""), math


def test_table_cells_are_as_tall_as_their_text(browser: Any, site_url: str) -> None:
    """An HTML table's cells hold paragraphs; none adds its margin to the cell (Docmost's cells
    are one line tall). The kit's CSS wins over Infima's: native cascade layers."""
    open_page(browser, f"{site_url}/docs/sec-common/Raw-HTML-pyo")
    sizes = browser.execute_script("""
        return [...document.querySelectorAll('article table td')].map((td) => {
          const style = getComputedStyle(td), p = td.querySelector('p');
          return [td.getBoundingClientRect().height, p ? p.getBoundingClientRect().height : 0,
                  parseFloat(style.paddingTop) + parseFloat(style.paddingBottom), p ? getComputedStyle(p).marginBottom : '0px'];
        });""")
    assert sizes
    for height, text, padding, margin in sizes:
        assert margin == "0px"
        if height < 3 * text:  # one-row cells (a merged cell spans two rows)
            assert height <= text + padding + 2, sizes


def test_folder_labels_show_the_page_icon(browser: Any, site_url: str) -> None:
    open_page(browser, f"{site_url}/docs/sec-common/teseuteu-hangeul")
    labels = [a.text for a in browser.find_elements(By.CSS_SELECTOR, ".menu__list-item-collapsible .menu__link")]
    assert "\U0001f9dc \uba38\uba54\uc774\ub4dc" in labels, labels  # 🧜 머메이드, a page with subpages


def test_the_home_page_shows_spaces_with_descriptions_counts_and_recent_pages(
    browser: Any, site_url: str, kit_build: Callable[[str], SiteBuild]
) -> None:
    browser.get(f"{site_url}/")
    patient(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".docmost-space"))
    assert browser.find_element(By.CSS_SELECTOR, "main h1").text == SITE_SETTINGS["title"]
    spaces = {
        item.find_element(By.CSS_SELECTOR, "a").text: item.text
        for item in browser.find_elements(By.CSS_SELECTOR, ".docmost-space")
    }
    assert "12 pages" in spaces["Kitchen Sink"] and "Every Docmost node type" in spaces["Kitchen Sink"]
    assert "\ud55c\uae00 \uacf5\uac04 \u2013 nasty titles" in spaces["\ubcf4\uc548 \uacf5\ud1b5 \ubb38\uc11c"]
    assert SAMPLE_TITLE in spaces  # convert --title: the space's name, not its folder
    build_dir, _output, _status = kit_build("mdx")
    kitchen_pages = sum(1 for _ in (build_dir / "docs" / "kitchen").rglob("index.html")) - 1  # its own index
    assert f"{kitchen_pages} pages" in spaces["Kitchen Sink"]
    recent = browser.find_elements(By.CSS_SELECTOR, ".docmost-recent li")
    assert 1 <= len(recent) <= 10
    dates = [item.find_element(By.CSS_SELECTOR, "time").get_attribute("datetime") for item in recent]
    assert dates == sorted(dates, reverse=True)
    assert recent[0].find_element(By.CSS_SELECTOR, "a").get_attribute("href").startswith(f"{site_url}/docs/")
