"""The renderer, node type by node type, on the recorded Kitchen Sink pages of a real Docmost 0.95.0
(every node and mark of its editor), and a property: no text in any node or mark breaks a page."""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docmost_syncd.model import WORD_JOINER
from docmost_syncd.render import ChildPage, Link, RenderOptions, analyse_page, render_page
from docmost_syncd.render.markdown import UNSAFE, escape_text
from docmost_syncd.site.layout import attachment_path
from tests.sitekit import KIT, NODE

PAGES = Path(__file__).parent / "fixtures" / "docmost-0.95.0-pages" / "api" / "pages-info"


def kitchen() -> dict[str, dict[str, Any]]:
    pages = {}
    for path in PAGES.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))["response"]["body"]["data"]
        if data["space"]["slug"] == "kitchen":
            pages[data["title"]] = data["content"]
    return pages


KITCHEN = kitchen()


class Answers:
    """A resolver with fixed answers, noting what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, ...]] = []

    def link(self, href: str) -> Link:
        self.asked.append(("link", href))
        if "/p/" in href:
            return Link("Target.md" + ("#" + href.split("#")[1] if "#" in href else ""), "Target Title")
        return Link(href)

    def page(self, page_id: str | None, slug_id: str | None, anchor: str | None) -> Link:
        self.asked.append(("page", page_id or "", slug_id or "", anchor or ""))
        return Link(f"{slug_id or 'page'}.md" + (f"#{anchor}" if anchor else ""), f"Title of {slug_id}")

    def file(self, attachment_id: str, file_name: str) -> str | None:
        self.asked.append(("file", attachment_id, file_name))
        return "./" + attachment_path(attachment_id, file_name)

    def children(self) -> list[ChildPage]:
        return [
            ChildPage("Layout Child A", None, "Layout-Child-A.md"),
            ChildPage("Child B", "🧪", "Child-B.md"),
        ]

    def transclusion(self, page_id: str, block_id: str) -> list[dict[str, Any]] | None:
        self.asked.append(("transclusion", page_id, block_id))
        return [{"type": "paragraph", "content": [{"type": "text", "text": "pulled in"}]}]


def render(content: dict[str, Any], math: str = "text") -> tuple[str, bool]:
    rendered = render_page(content, Answers(), RenderOptions(math=math))  # type: ignore[arg-type]
    return rendered.body, rendered.mdx


def doc(*nodes: dict[str, Any]) -> dict[str, Any]:
    return {"type": "doc", "content": list(nodes)}


def para(*inline: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": list(inline)}


def text(value: str, *marks: str | dict[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": value}
    if marks:
        node["marks"] = [m if isinstance(m, dict) else {"type": m} for m in marks]
    return node


# ---- text and marks ------------------------------------------------------------------------------


def test_headings_keep_docmost_ids() -> None:
    body, _mdx = render(KITCHEN["Text and Marks"])
    assert "## Heading level 2 with explicit id \\{#h-text-target\\}" in body
    assert "### Heading level 3 \\{#h-text-h3\\}" in body
    assert "#### Heading level 4\n" in body  # no id in Docmost: Docusaurus makes one


def test_an_h1_keeps_its_id_on_an_anchor_inside_it() -> None:
    """Docusaurus drops an h1's id ({#id} included), so a link to a page's first heading would
    break the build: the id goes on an empty anchor element, which makes the page MDX."""
    heading = {"type": "heading", "attrs": {"id": "h1-top", "level": 1}, "content": [text("Intro {x}")]}
    body, mdx = render(doc(heading, para(text("after"))))
    assert body.startswith('# <HeadingAnchor id="h1-top" />Intro \\{x\\}\n') and mdx, body
    body, mdx = render(doc({"type": "heading", "attrs": {"level": 1}, "content": [text("Plain")]}))
    assert body.startswith("# Plain") and not mdx  # no id: nothing to carry


def test_marks() -> None:
    body, mdx = render(KITCHEN["Text and Marks"])
    assert "Plain paragraph with **bold**, *italic*, ~~strike~~, <u>underline</u>, `inline code`, " in body
    assert "[a link](https://example.com/docs)." in body
    assert "<mark>yellow mark</mark>" in body
    assert '<mark style={{"backgroundColor": "#8ce99a"}}>green highlight</mark>' in body
    assert '<span style={{"color": "#e03131"}}>red text</span>' in body
    assert "H<sub>2</sub>O and E=mc<sup>2</sup>" in body
    assert "Combined ***~~bold italic strike~~*** and a commented text." in body  # comments: plain
    assert mdx


def test_alignment_indent_and_breaks() -> None:
    body, _mdx = render(KITCHEN["Text and Marks"])
    assert '<div style={{"textAlign": "center"}}>\n\nCentered paragraph (textAlign center)\n\n</div>' in body
    assert '<div style={{"paddingInlineStart": "4rem"}}>\n\nIndented paragraph (indent 2)' in body
    assert "Line one\\\nline two after a hard break" in body


def test_characters_mdx_cares_about_are_escaped_where_they_stand() -> None:
    body, _mdx = render(KITCHEN["Text and Marks"])
    assert (
        "Characters MDX cares about: \\{curly\\} &lt;angle> a &lt; b > c, 5 \\* 3, \\_under\\_score\\_, "
        "\\`tick\\`, | pipe, \\[brackets\\], \\#hash, & amp, import x from 'y'"
    ) in body


@pytest.mark.parametrize(
    ("value", "line_start", "expected"),
    [
        ("import React from 'react'", True, "&#x69;mport React from 'react'"),
        ("export const x = 1", True, "&#x65;xport const x = 1"),
        ("1. not a list", True, "1\\. not a list"),
        ("- not a list", True, "\\- not a list"),
        ("> not a quote", True, "\\> not a quote"),
        (":::danger", True, "\\::\\:danger"),
        ("    not code", True, "not code"),
        ("a:b and :smile:", False, "a\\:b and \\:\u2060smile:"),  # no emoji: a word joiner breaks the name
        ("mail ops@example.com", False, "mail ops\u2060@example.com"),  # no mailto autolink
        ("AT&T; &amp; $5", False, "AT&amp;T; &amp;amp; \\$5"),
        ("x|y", False, "x|y"),
    ],
)
def test_escaping_is_data(value: str, line_start: bool, expected: str) -> None:
    assert escape_text(value, line_start=line_start) == expected
    assert {u.character for u in UNSAFE} >= {"{", "}", "<", "[", "$", "import"}


@pytest.mark.parametrize(
    ("nodes", "expected"),
    [
        ([text("(note)", "bold"), text("after")], "**(note)**&#x61;fter"),
        ([text("before"), text("(note)", "bold")], "befor&#x65;**(note)**"),
        ([text(" spaced ", "bold")], "**spaced** "),
        ([text("bold", "bold"), text("italic", "italic")], "**bold**_italic_"),
        ([text("", "bold")], ""),
    ],
)
def test_emphasis_follows_the_flanking_rules(nodes: list[dict[str, Any]], expected: str) -> None:
    body, _mdx = render(doc(para(*nodes)))
    assert body == expected


# ---- blocks --------------------------------------------------------------------------------------


def test_lists_exactly() -> None:
    body, mdx = render(KITCHEN["Lists and Quotes"])
    assert body.startswith("- Bullet one\n- Bullet two\n  - Nested bullet\n- Bullet with **bold**")
    assert "1. First\n2. Second\n   1. Nested ordered" in body
    assert "5) Starts at five\n6) Six" in body  # a new list, not items 3 and 4 of the one before
    assert "- [x] Done task\n- [ ] Open task with **bold**\n  - [ ] Nested task" in body
    assert "> A blockquote paragraph.\n>\n> Second quote paragraph with *italic*" in body
    assert not mdx  # plain markdown: written as .md


def test_code_and_diagrams() -> None:
    body, _mdx = render(KITCHEN["Code and Diagrams"])
    assert '```python\ndef hello(name):\n    return f"hi {name}"  # braces {x}\n```' in body
    assert "```\nplain code, no language <tag> {x}\n```" in body
    assert "```mermaid\ngraph TD\n" in body
    assert (
        "![drawio-diagram.drawio.svg](./_assets/01a22ecd-a0bb-76ec-80fd-0dbb7cd67df4/drawio-diagram.drawio.svg)"
        in body
    )
    assert "![excalidraw-sketch.excalidraw.svg](./_assets/" in body


def test_a_code_block_holding_a_fence_gets_a_longer_one() -> None:
    body, _mdx = render(doc({"type": "codeBlock", "content": [text("```\ninside\n```")]}))
    assert body == "````\n```\ninside\n```\n````"


def test_tables() -> None:
    body, mdx = render(KITCHEN["Tables"])
    assert '<td style={{"backgroundColor": "#ffe066"}}>\n\nbeta\n\n</td>' in body
    assert "<th colSpan={2}>\n\nSpans two columns\n\n</th>" in body
    assert "<th rowSpan={2}>\n\nRow header\n\n</th>" in body
    assert "<td>\n\n- item 1\n- item 2\n\n</td>" in body
    assert mdx


def test_a_plain_grid_is_a_pipe_table() -> None:
    table = copy.deepcopy(KITCHEN["Tables"]["content"][1])
    for row in table["content"]:
        for cell in row["content"]:
            cell["attrs"]["backgroundColor"] = None
    body, mdx = render(doc(table))
    assert (
        body
        == "| Name | Value | Note |\n| --- | --- | --- |\n| alpha | 1 | with **bold** and \\| pipe |\n| beta | 2 | yellow cell left |"
    )
    assert not mdx


def test_callouts_and_details() -> None:
    body, _mdx = render(KITCHEN["Callouts and Details"])
    for kind, admonition in [("default", "note"), ("info", "info"), ("note", "note"), ("success", "tip"),
                             ("warning", "warning"), ("danger", "danger")]:  # fmt: skip
        assert f":::{admonition}\n\nCallout of type {kind} with **bold** text.\n\n:::" in body
    assert '<Admonition type="info" icon={"💡"}>\n\nInfo callout with custom icon and a list:' in body
    assert "<details>\n<summary>Click to expand (details summary)</summary>\n\nHidden **content**" in body
    rendered = render_page(KITCHEN["Callouts and Details"], Answers(), RenderOptions())  # type: ignore[arg-type]
    assert rendered.imports == ("import Admonition from '@theme/Admonition';",)


def test_nested_callouts_get_longer_fences() -> None:
    inner = {"type": "callout", "attrs": {"type": "warning"}, "content": [para(text("inner"))]}
    outer = {"type": "callout", "attrs": {"type": "info"}, "content": [para(text("outer")), inner]}
    body, _mdx = render(doc(outer))
    assert body == "::::info\n\nouter\n\n:::warning\n\ninner\n\n:::\n\n::::"


@pytest.mark.parametrize(
    ("math", "inline", "block"),
    [
        ("text", "Inline math: `E = mc^2` and a fraction `\\frac{a}{b} + \\sqrt{x_1}` end.",
         "```latex\n\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}\n```"),
        ("katex", "Inline math: $E = mc^2$ and a fraction $\\frac{a}{b} + \\sqrt{x_1}$ end.",
         "$$\n\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}\n$$"),
    ],
)  # fmt: skip
def test_math(math: str, inline: str, block: str) -> None:
    body, mdx = render(KITCHEN["Math"], math)
    assert inline in body and block in body
    assert "\\left\\{ x \\right\\}" in body  # verbatim, never escaped
    assert not mdx


def test_media_and_files() -> None:
    body, mdx = render(KITCHEN["Media and Files"])
    assert (
        '<div className="docmost-image docmost-image--sized" style={{"width": "64px", "maxWidth": "100%", '
        '"marginLeft": "auto", "marginRight": "auto"}}>\n\n![red square](./_assets/'
    ) in body
    assert (
        "\n\n![svg diagram](./_assets/01a22ecd-a093-7138-b76e-4df1ca90a0b7/diagram.svg)\n\n" in body
    )  # left
    assert "![external](https://upload.wikimedia.org/" in body
    assert 'src={require("./_assets/01a22ecd-a099-72dc-aee0-8d5bc372def7/clip.mp4").default}' in body
    assert body.count("<video controls") == 2 and body.count("<audio controls") == 2
    assert (
        'require("./_assets/01a22ecd-a0aa-7079-805f-104d2338e19d/tone.oga")' in body
    )  # Ogg, as Docusaurus knows it
    assert (
        '<object data={require("./_assets/01a22ecd-a0b0-75e9-bad3-e72abe8a074e/hello.pdf").default}' in body
    )
    assert (
        "[hello.pdf](./_assets/01a22ecd-a0b0-75e9-bad3-e72abe8a074e/hello.pdf)" in body
    )  # and a download link
    assert "📎 [notes.txt](./_assets/01a22ecd-a0b6-779e-9408-53a1cfa9de09/notes.txt) (22 B)" in body
    assert mdx


def test_a_file_the_resolver_cannot_have_is_named_in_plain_text() -> None:
    class NoFiles(Answers):
        def file(self, attachment_id: str, file_name: str) -> str | None:
            return None

    rendered = render_page(KITCHEN["Media and Files"], NoFiles(), RenderOptions())  # type: ignore[arg-type]
    assert "_assets" not in rendered.body and "require(" not in rendered.body
    assert "📎 notes.txt" in rendered.body and "hello.pdf" in rendered.body


def test_embeds_are_iframes_of_the_provider_embed_url() -> None:
    body, mdx = render(KITCHEN["Embeds"])
    assert body.count("<iframe ") == 11  # 10 providers and the YouTube node
    # Docmost's generic "iframe" embed loads any page: published as a link to it, not a frame.
    assert "[https://example.com/widget?a=1&b=2](https://example.com/widget?a=1&b=2)" in body
    for url in ("https://www.youtube.com/embed/dQw4w9WgXcQ", "https://player.vimeo.com/video/76979871",
                "https://www.loom.com/embed/0281766fa2d04bb788eaf19e65135184", "https://airtable.com/embed/shrXXXXXXXXXXXXXX",
                "https://form.typeform.com/to/abcdef", "https://miro.com/app/live-embed/uXjVabc=/",
                "https://framer.com/embed/abc", "https://drive.google.com/file/d/1abc/preview",
                "https://docs.google.com/spreadsheets/d/1abc/preview"):  # fmt: skip
        assert f'src="{url}"' in body or f'src={{"{url}"}}' in body, url
    assert 'src={"https://www.figma.com/embed?embed_host=docmost&url=https://www.figma.com/file/abc"}' in body
    assert mdx


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871"),
        ("https://www.loom.com/share/abc123", "https://loom.com/embed/abc123"),
        ("javascript:alert(1)", None),
    ],
)
def test_pasted_urls_become_the_embed_url_docmost_shows(src: str, expected: str | None) -> None:
    body, _mdx = render(doc({"type": "embed", "attrs": {"src": src}}))
    if expected is None:
        assert "<iframe" not in body and "javascript" in body
    else:
        assert expected in body


def test_links_mentions_and_anchors() -> None:
    answers = Answers()
    rendered = render_page(KITCHEN["Links, Mentions and Anchors"], answers, RenderOptions())  # type: ignore[arg-type]
    body = rendered.body
    assert "Internal link to page [Tables page](Target.md)." in body
    assert "Internal link with bare URL text: [Target Title](Target.md)" in body  # a URL as text: the title
    assert "[Text page heading](Target.md#h-text-target)" in body
    assert "User mention: @Admin end." in body
    assert "Page mention: [Title of NsHi5jDn8l](NsHi5jDn8l.md) end." in body
    assert "[Title of QI7iUduibM](QI7iUduibM.md#h-text-target)" in body
    assert ("page", "01a22ecd-a00a-7cf2-a6e8-927cb9edf9d1", "QI7iUduibM", "h-text-target") in answers.asked
    assert rendered.anchors == ("h-links-bottom",)
    assert not rendered.mdx


def test_layout_blocks() -> None:
    body, mdx = render(KITCHEN["Layout Blocks"])
    assert (
        "Subpages block below:\n\n- [Layout Child A](Layout-Child-A.md)\n- [🧪 Child B](Child-B.md)" in body
    )
    assert (
        '<div className="docmost-columns" data-layout="two_equal">\n\n<div className="docmost-column">'
        in body
    )
    assert body.count('<div className="docmost-column">') == 5
    assert '<div className="docmost-page-break" />' in body
    assert '<span className="docmost-status docmost-status--blue">In progress</span>' in body
    assert "Footnote reference here[^fnref-aaa] and another[^fnref-bbb]." in body
    assert "[^fnref-aaa]: First footnote text." in body
    assert "[^fnref-bbb]: Second footnote with [link](https://example.org)" in body
    assert body.count('<div className="docmost-synced-block">') == 2
    assert "pulled in" in body  # the reference shows its source's content
    assert "📊 [Title of None](page.md)" in body  # the database page, linked
    assert mdx


def test_a_node_of_a_newer_docmost_is_written_as_its_text() -> None:
    rendered = render_page(
        doc({"type": "hologram", "content": [text("shown anyway")]}, para(text("x", "sparkle"))),
        Answers(),  # type: ignore[arg-type]
        RenderOptions(),
    )
    assert rendered.body == "shown anyway\n\nx"
    assert rendered.unknown == ("hologram", "mark:sparkle")


def test_facts_come_from_the_content_alone() -> None:
    mdx_pages = {title for title, content in KITCHEN.items() if analyse_page(content).mdx}
    assert mdx_pages == {"Text and Marks", "Code and Diagrams", "Tables", "Callouts and Details",
                         "Media and Files", "Embeds", "Layout Blocks"}  # fmt: skip
    facts = analyse_page(KITCHEN["Layout Blocks"])
    assert ("children",) in facts.refs
    assert (
        "transclusion",
        "01a22ecd-a06e-75cb-b67e-11cd19c1efcf",
        "01a22eca-2222-7000-8000-000000000001",
    ) in facts.refs
    assert analyse_page(KITCHEN["Text and Marks"]).anchors == {"h-text-target", "h-text-h3"}
    assert analyse_page(doc(para())).empty and analyse_page(None).empty
    assert not analyse_page(KITCHEN["Math"]).empty


# ---- no text breaks a page -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def compiler(kit_modules: Path) -> Iterator[subprocess.Popen[str]]:
    """tests/markdown_check.mjs on the kit's packages: compiles pages as Docusaurus reads them."""
    assert NODE is not None
    folder = kit_modules.parent
    process = subprocess.Popen(
        [NODE, str(Path(__file__).parent / "markdown_check.mjs")],
        cwd=folder if (folder / "node_modules").exists() else KIT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    yield process
    assert process.stdin is not None
    process.stdin.close()
    process.wait(timeout=60)


def check(compiler: subprocess.Popen[str], source: str, *, mdx: bool, math: bool = False) -> dict[str, Any]:
    assert compiler.stdin is not None and compiler.stdout is not None
    compiler.stdin.write(json.dumps({"id": 1, "source": source, "mdx": mdx, "math": math}) + "\n")
    compiler.stdin.flush()
    return json.loads(compiler.stdout.readline())  # type: ignore[no-any-return]


MARKS = ["bold", "italic", "strike", "code", "underline", "subscript", "superscript", "comment",
         {"type": "highlight", "attrs": {"color": "#ffe066"}}, {"type": "textStyle", "attrs": {"color": "#e03131"}},
         {"type": "link", "attrs": {"href": "https://example.com/a?b=c&d={e}"}}]  # fmt: skip


def holders(value: str, mark: Any) -> list[dict[str, Any]]:
    """The same text in every place a page can hold text."""
    marked = text(value, mark) if mark else text(value)
    return [
        para(text("x "), marked, text(" y")),
        {"type": "heading", "attrs": {"level": 2, "id": "h"}, "content": [marked]},
        {"type": "bulletList", "content": [{"type": "listItem", "content": [para(marked)]}]},
        {
            "type": "taskList",
            "content": [{"type": "taskItem", "attrs": {"checked": True}, "content": [para(marked)]}],
        },
        {"type": "blockquote", "content": [para(marked)]},
        {"type": "callout", "attrs": {"type": "info"}, "content": [para(marked)]},
        {
            "type": "details",
            "content": [
                {"type": "detailsSummary", "content": [marked]},
                {"type": "detailsContent", "content": [para(marked)]},
            ],
        },
        {
            "type": "table",
            "content": [
                {
                    "type": "tableRow",
                    "content": [
                        {
                            "type": "tableHeader",
                            "attrs": {"colspan": 1, "rowspan": 1},
                            "content": [para(marked)],
                        }
                    ],
                }
            ],
        },
        {"type": "columns", "content": [{"type": "column", "content": [para(marked)]}]},
        {"type": "status", "attrs": {"text": value, "color": "red"}},
        {"type": "image", "attrs": {"src": "https://example.com/x.png", "alt": value}},
        {"type": "codeBlock", "content": [text(value)] if value else []},
        {"type": "mathBlock", "attrs": {"text": value}},
    ]


# What markdown, MDX and Docusaurus's plugins give a meaning to, among any other characters.
TOKENS = [*"{}<>[]()*_`~$#|&;:!\\-+=.\"'/ ", "$a$", "{#x}", "<br>", "</b>", "import a from 'b'", "- ", "1. ",
          ":::note", "`a`", "**", "[^1]", "&amp;", "http://x.io", "\t", "한글", "x"]  # fmt: skip


@pytest.mark.docusaurus
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    value=st.lists(
        st.one_of(st.sampled_from(TOKENS), st.characters(blacklist_categories=("Cs", "Cc"))),
        min_size=1,
        max_size=12,
    )
    .map("".join)
    .filter(str.strip),
    mark=st.sampled_from([None, *MARKS]),
    katex=st.booleans(),
)
def test_no_text_in_any_node_or_mark_breaks_the_page(
    compiler: subprocess.Popen[str], value: str, mark: Any, katex: bool
) -> None:
    nodes = holders(value, mark)
    for node in nodes:
        content = doc({"type": "paragraph", "content": [node]} if node["type"] == "status" else node)
        rendered = render_page(content, Answers(), RenderOptions(math="katex" if katex else "text"))  # type: ignore[arg-type]
        for mdx in {True, rendered.mdx}:  # every page compiles as MDX; .md pages as CommonMark too
            answer = check(compiler, rendered.body, mdx=mdx, math=katex)
            assert answer["ok"], (node["type"], rendered.body, answer.get("error"))
            if node["type"] not in ("image", "mathBlock") and not (katex and node["type"] == "codeBlock"):
                shown = " ".join(answer["text"].replace(WORD_JOINER, "").split())  # joiners are invisible
                wanted = " ".join(value.replace(WORD_JOINER, "").split())  # the wiki's own joiners too
                assert wanted in shown, (node["type"], rendered.body, shown)
