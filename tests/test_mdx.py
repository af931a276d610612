"""Page bodies for MDX: each transformation on the pitfall inputs, the original tool's failing
vectors, the fixture pages, and properties (code never changes, escaping is idempotent)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from docmost_syncd.model import Page
from docmost_syncd.postprocess.frontmatter import front_matter, strip_title_heading
from docmost_syncd.postprocess.markdown import split_code
from docmost_syncd.postprocess.mdx import escape_for_mdx, to_mdx

VECTORS = json.loads(
    (Path(__file__).parent / "fixtures" / "reference" / "original-tool-vectors.json").read_text()
)
STRING_STEPS = ("wrap_placeholders", "wrap_angle_brackets", "wrap_raw_html")
ORIGINAL_INPUTS = [v for v in VECTORS if v["step"] in STRING_STEPS]


def prose_of(text: str) -> str:
    return "".join(chunk for is_code, chunk in split_code(text) if not is_code)


def code_of(text: str) -> list[str]:
    return [chunk for is_code, chunk in split_code(text) if is_code]


def assert_mdx_safe(text: str) -> None:
    """No unescaped brace in prose, and every '<' in prose opens a known JSX-safe tag."""
    prose = prose_of(text)
    assert not re.search(r"(?<!\\)(?:\\\\)*[{}]", prose.replace("={{", "").replace("}}", "")) or re.search(
        r"=\{", prose
    ), prose
    for match in re.finditer(r"<", prose):
        rest = prose[match.start() :]
        assert re.match(r"</?[a-z][a-z0-9]*(\s[^<>]*)?/?>", rest), rest[:40]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Replace {token} here", "Replace \\{token\\} here"),
        ('JSON {"key": "value"}', 'JSON \\{"key": "value"\\}'),
        ("angle &lt;> and </&gt;", "angle &lt;> and &lt;/&gt;"),
        ("latency <5ms", "latency &lt;5ms"),
        ("a <> b </> c", "a &lt;> b &lt;/> c"),
        ("line<br>break", "line<br />break"),
        ('<img src="files/a.png">', '<img src="files/a.png" />'),
        ("x <!-- hidden --> y", "x  y"),
        ("<script>alert(1)</script>after", "after"),
        ('<a href="x" onclick="evil()">t</a>', '<a href="x">t</a>'),
        ('<td colspan="2" rowspan="3" class="c">', '<td colSpan={2} rowSpan={3} className="c">'),
        (
            '<table style="width: 100%; border-collapse: collapse">',
            "<table style={{width: '100%', borderCollapse: 'collapse'}}>",
        ),
        ("<details open><summary>s</summary>", "<details open><summary>s</summary>"),
        ("<unknown-tag>text</unknown-tag>", "text"),
        ("<div>", "<div>"),
        ("&lt;div&gt; in prose", "&lt;div&gt; in prose"),
        ("already \\{escaped\\}", "already \\{escaped\\}"),
    ],
)
def test_prose_escaping(source: str, expected: str) -> None:
    assert to_mdx(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (":::default\nx\n:::", ":::note\nx\n:::"),
        (":::success\nx\n:::", ":::tip\nx\n:::"),
        (":::info\nx\n:::", ":::info\nx\n:::"),
        (":::danger\n**b**\n:::", ":::danger\n**b**\n:::"),
        ("$$\n\\\\sum_{i=1}^{n} i\n$$", "$$\n\\sum_\\{i=1\\}^\\{n\\} i\n$$"),
        ("Math $a^2 + \\\\alpha$ end", "Math $a^2 + \\alpha$ end"),
        ("    indented {code}\n", "```\nindented {code}\n```\n"),
        (  # Raw HTML 표: a merged-cell table Docmost exported with a delimiter row one cell too long
            "| 이름  | 값 |     |\n| --- | --- |     | --- |\n| merged | 1   | 2   |\n| 3   | 4   |",
            "| 이름  | 값 |     |\n| --- | --- | --- |\n| merged | 1   | 2   |\n| 3   | 4   |",
        ),
        ("| a | b |\n| --- | --- |\n| 1 | 2 |", "| a | b |\n| --- | --- |\n| 1 | 2 |"),
        ("text\n---\nmore", "text\n---\nmore"),
    ],
)
def test_block_transformations(source: str, expected: str) -> None:
    assert to_mdx(source) == expected


def test_code_is_never_touched() -> None:
    body = "Inline `Map<String, {x}>` and ``a ` {b}``.\n\n```java\npublic <T> {}\n```\n"
    out = to_mdx(body)
    assert "`Map<String, {x}>`" in out and "``a ` {b}``" in out and "public <T> {}" in out


@pytest.mark.parametrize(
    "vector", ORIGINAL_INPUTS, ids=[f"{v['step']}:{str(v['input'])[:40]!r}" for v in ORIGINAL_INPUTS]
)
def test_original_tool_inputs_become_mdx_safe(vector: dict[str, object]) -> None:
    """Every input the original's Wrap* steps were tested with, including the 21 whose output
    still broke MDX (notes in original-tool-vectors.json): ours is safe and keeps its code."""
    source = str(vector["input"])
    out = to_mdx(source)
    assert_mdx_safe(out)
    for code in code_of(source):
        if code.lstrip().startswith(("```", "~~~", "`")):
            assert code in out


def test_fixture_pages_become_mdx_safe() -> None:
    pages = sorted((Path(__file__).parent / "fixtures/docmost-0.95.0/exports/pages").glob("*.md"))
    assert len(pages) == 60
    for page in pages:
        assert_mdx_safe(to_mdx(strip_title_heading(page.read_text(encoding="utf-8"))))


@pytest.mark.parametrize(
    "title",
    [
        "Spring: Boot",
        "[draft] plan",
        "2025",
        "true",
        "#3",
        "'quoted' \"dq\"",
        "🚀 출시 계획 ✅",
        "a: b: c",
        "- dash",
        "null",
        "~",
        "",
    ],
)
def test_front_matter_round_trips_any_title(title: str) -> None:
    page = Page(
        id="p1", slug_id="s1", title=title, icon="🔐", position="a0", parent_id=None, sidebar_position=3
    )
    text = front_matter(page) + "---\n\nbody after a rule\n"
    assert text.startswith("---\n")
    header = yaml.safe_load(text.split("---\n", 2)[1])
    assert header["title"] == (title if title.strip() else "Untitled")
    assert header["sidebar_position"] == 3
    assert header["docmost_page_id"] == "p1" and header["docmost_slug_id"] == "s1"
    assert header["sidebar_label"].startswith("🔐 ")


def test_title_heading_is_removed_once() -> None:
    assert strip_title_heading("# 중복 제목 (1)\n\n## keep\n") == "## keep\n"
    assert strip_title_heading("\n\n# Title\nbody") == "body"
    assert strip_title_heading("no heading\n# later") == "no heading\n# later"


# ---- properties -------------------------------------------------------------------------------

PROSE = st.lists(
    st.sampled_from(
        [*"ab {}<>/&;:=\"'\\!-#*_[]()$", "\n", "\n\n", "<br>", "</&gt;", '<td colspan="2">', "<!-- c -->"]
    ),
    max_size=30,
).map("".join)
SPAN = st.text(alphabet=st.sampled_from(list("x {}<>/\\")), min_size=1, max_size=12).map(
    lambda s: f"`{s.strip('`') or 'x'}`"
)
FENCE = st.text(alphabet=st.sampled_from(list("x {}<>/\\\n")), max_size=30).map(
    lambda s: f"\n\n```\n{s.replace('```', '')}\n```\n\n"
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(PROSE, SPAN, FENCE), max_size=8))
def test_code_spans_and_fences_survive_verbatim(parts: list[str]) -> None:
    body = "".join(parts)
    out = to_mdx(body)
    position = 0
    for code in code_of(body):
        if code.startswith("    ") or code.startswith("\t"):
            continue  # indented code is fenced on purpose
        found = out.find(code.strip("\n"), position)
        assert found >= 0, (code, out)
        position = found


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(PROSE, SPAN, FENCE), max_size=8))
def test_escaping_is_idempotent(parts: list[str]) -> None:
    once = escape_for_mdx("".join(parts))
    assert escape_for_mdx(once) == once
