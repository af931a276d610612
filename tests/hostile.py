"""Wiki content written to attack the published site: the strings, the pages that hold them in
every place a Docmost page can hold text, URLs or attribute values, and the browser check that
none of it ran.

A payload that runs asks the site's own server for a path with ``canary`` in it (``fetch``, an
``img`` that loads, a ``javascript:`` link a reader clicks) or opens a dialog (``alert``): the
static server records every path it is asked for, and the browser says whether a dialog is open
or a script failed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from tests.docmost_double import DocmostDouble
from tests.loopback import running

CANARY = "canary"
# What markup, MDX, YAML, JSON-in-a-script, Docusaurus's text plugins and URL parsers give a
# meaning to, with payloads that ask for a canary path or open a dialog when they run.
TEXT_TOKENS = [
    "<", ">", "</", "</script>", "<script>", "<!--", "-->", "<?", '"', "'", "{", "}", "`", "```", "$", "\\",
    "*", "_", "[", "]", "(", ")", "#", "|", "@", "&", "&lt;", "&#60;", ";", ":", "::: ", ":smile:", ":+1:",
    ":x:", "2023 ", "1. ", "01 ", "2024-", "import x from 'y'", "export const a = 1", "{#id}", "${a}",
    "{alert(1)}", "javascript:", "www.example.com", "ops@example.com", "http://example.com",
    "\x00", "\x07", "\x1b", "\u202e", "\u200f", "\u2066", "\ufeff", "한글", "a", "b", " ", "\t",
    f"<img src=/{CANARY}-img onerror=alert(1)>", f"<script>fetch('/{CANARY}-script')</script>",
    f"<svg onload=fetch('/{CANARY}-svg')>", f"</script><img src=x onerror=fetch('/{CANARY}-ld')><script>",
    f'"><img src=/{CANARY}-attr>', "<style>*{display:none}</style>", "<iframe src=javascript:alert(1)>",
]  # fmt: skip
HOSTILE_URLS = [
    "javascript:alert(1)", f"JavaScript:fetch('/{CANARY}-js')", " javascript:alert(1)", "java\tscript:alert(1)",
    "java\nscript:alert(1)", "\x01javascript:alert(1)", "&#106;avascript:alert(1)", "jav&#x09;ascript:alert(1)",
    "javascript&colon;alert(1)", "vbscript:msgbox(1)", f"data:text/html,<script>fetch('/{CANARY}-data')</script>",
    "data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+", f"/{CANARY}-root-path", f"//{CANARY}.example/x",
    "https://example.com/a?b=<c>&d={e}", 'https://example.com/"onmouseover="alert(1)', "#anchor", "#",
    "mailto:x@example.com", "tel:+1234", "", "file:///etc/passwd", f"https://example.com/{CANARY}-external",
]  # fmt: skip
HOSTILE_VALUES = [
    "red", "#ff0000", "rgb(1, 2, 3)", f"red;background:url(/{CANARY}-css)", "expression(alert(1))",
    f"url(/{CANARY}-css)", '" onmouseover="alert(1)', "100%", "50", "320px", "100%\"><script>alert(1)</script>",
    "</style><script>alert(1)</script>", "center", "left", "right", "justify", "{alert(1)}", "javascript:alert(1)",
]  # fmt: skip

hostile_text = st.lists(st.sampled_from(TEXT_TOKENS), min_size=1, max_size=8).map("".join)
hostile_url = st.sampled_from(HOSTILE_URLS)
hostile_value = st.sampled_from(HOSTILE_VALUES)


def _text(value: str, *marks: dict[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": value or "x"}
    if marks:
        node["marks"] = list(marks)
    return node


def _para(*nodes: dict[str, Any], **attrs: Any) -> dict[str, Any]:
    return {"type": "paragraph", "attrs": attrs, "content": list(nodes)}


@st.composite
def hostile_nodes(draw: st.DrawFn) -> list[dict[str, Any]]:
    """One of each place a page holds text, a URL or an attribute value, filled from the
    hostile alphabets."""
    t, u, v = (lambda: draw(hostile_text)), (lambda: draw(hostile_url)), (lambda: draw(hostile_value))
    cell = {"colspan": 1, "rowspan": 1, "backgroundColor": v(), "align": v()}
    return [
        {"type": "heading", "attrs": {"level": 2, "id": t(), "textAlign": v()}, "content": [_text(t())]},
        _para(
            _text(t()), _text(t(), {"type": "bold"}), _text(t(), {"type": "link", "attrs": {"href": u()}}),
            _text(t(), {"type": "code"}), _text(t(), {"type": "textStyle", "attrs": {"color": v()}}),
            _text(t(), {"type": "highlight", "attrs": {"color": v()}}),
            {"type": "mention", "attrs": {"entityType": "user", "label": t(), "id": t()}},
            {"type": "mention", "attrs": {"entityType": "page", "label": t(), "entityId": t(), "slugId": t()}},
            {"type": "status", "attrs": {"text": t(), "color": v()}},
            {"type": "mathInline", "attrs": {"text": t()}},
            textAlign=v(),
        ),
        {"type": "image", "attrs": {"src": u(), "alt": t(), "title": t(), "width": v(), "align": v()}},
        {"type": "video", "attrs": {"src": u(), "width": v(), "align": v()}},
        {"type": "audio", "attrs": {"src": u()}},
        {"type": "pdf", "attrs": {"src": u(), "name": t(), "height": v()}},
        {"type": "attachment", "attrs": {"url": u(), "name": t(), "size": 12}},
        {"type": "embed", "attrs": {"src": u(), "provider": t(), "width": v(), "height": v()}},
        {"type": "youtube", "attrs": {"src": u(), "start": v()}},
        {"type": "codeBlock", "attrs": {"language": t()}, "content": [_text(t())]},
        {"type": "codeBlock", "attrs": {"language": "mermaid"}, "content": [_text(f"graph TD\n  A[{t()}] --> B")]},
        {"type": "mathBlock", "attrs": {"text": t()}},
        {"type": "callout", "attrs": {"type": t(), "icon": t()}, "content": [_para(_text(t()))]},
        {"type": "details", "content": [
            {"type": "detailsSummary", "content": [_text(t())]},
            {"type": "detailsContent", "content": [_para(_text(t()))]},
        ]},
        {"type": "table", "content": [
            {"type": "tableRow", "content": [
                {"type": "tableHeader", "attrs": dict(cell), "content": [_para(_text(t()))]},
                {"type": "tableCell", "attrs": dict(cell), "content": [_para(_text(t()))]},
            ]},
            {"type": "tableRow", "content": [
                {"type": "tableCell", "attrs": dict(cell, colspan=2), "content": [_para(_text(t()))]},
            ]},
        ]},
        {"type": "columns", "attrs": {"layout": v()}, "content": [
            {"type": "column", "content": [_para(_text(t()))]}, {"type": "column", "content": [_para(_text(t()))]},
        ]},
        {"type": "taskList", "content": [{"type": "taskItem", "attrs": {"checked": True}, "content": [_para(_text(t()))]}]},
    ]  # fmt: skip


HostilePage = tuple[str, str | None, list[dict[str, Any]]]  # title, icon, content


@st.composite
def hostile_pages(draw: st.DrawFn) -> list[HostilePage]:
    """Pages whose titles and icons are hostile too; a few titles differ only in a leading number."""
    pages = [(draw(hostile_text), draw(st.none() | hostile_text), draw(hostile_nodes())) for _ in range(4)]
    word = draw(st.sampled_from(["Plan", "Intro", "회의록"]))
    pages += [(f"{number} {word}", None, [_para(_text(word))]) for number in ("1.", "01", "2023", "2024")]
    return pages


def add_pages(double: DocmostDouble, slug: str, pages: list[HostilePage], parent: str | None = None) -> list[str]:
    """The pages in the double's space ``slug``, each with a child (so each title is a category
    label and a breadcrumb too)."""
    ids = []
    for title, icon, nodes in pages:
        page_id = double.create(slug, title, parent)
        child = double.create(slug, f"{title} child", page_id)
        for target in (double.items[page_id], double.info[page_id]):
            target["icon"] = icon
        double.set_content(page_id, nodes)
        ids += [page_id, child]
    return ids


class RecordingServer:
    """A built site on a loopback port that remembers every path it was asked for."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.lock = threading.Lock()

    @contextmanager
    def serve(self, folder: Path) -> Iterator[str]:
        server = self

        class Recording(SimpleHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                return None

            def send_head(self) -> Any:
                with server.lock:
                    server.paths.append(self.path)
                return super().send_head()

        with running(ThreadingHTTPServer(("127.0.0.1", 0), partial(Recording, directory=str(folder)))) as url:
            yield url

    def canaries(self) -> list[str]:
        """Paths a payload asked for (they are asked from the site's root; a page whose name
        was made from a hostile title lives under /docs/ and is no canary)."""
        with self.lock:
            return [path for path in self.paths if path.lstrip("/").startswith((CANARY, "pwned"))]


def page_urls(build_dir: Path, base: str, under: str) -> list[str]:
    """The URL of every built page under ``/docs/<under>``."""
    root = build_dir / "docs" / under
    return sorted(
        f"{base}/{path.parent.relative_to(build_dir).as_posix()}/"
        for path in root.rglob("index.html")
    )


def visit(browser: Any, url: str) -> list[str]:
    """Load a page as a reader does (and click nothing); what went wrong on it: an open dialog,
    a script error."""
    from selenium.common.exceptions import NoAlertPresentException, UnexpectedAlertPresentException

    problems = []
    try:
        browser.get(url)
        browser.execute_script("return document.readyState")
    except UnexpectedAlertPresentException as exc:
        problems.append(f"{url}: a dialog opened: {exc.alert_text}")
    try:
        alert = browser.switch_to.alert
        problems.append(f"{url}: a dialog opened: {alert.text}")
        alert.dismiss()
    except NoAlertPresentException:
        pass
    for entry in browser.get_log("browser"):
        message = entry.get("message", "")
        if entry.get("level") == "SEVERE" and ("Uncaught" in message or entry.get("source") == "javascript"):
            problems.append(f"{url}: script error: {message}")
    return problems
