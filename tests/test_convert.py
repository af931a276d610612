"""`convert` takes any Docmost export ZIP from 0.70 to 0.95 without losing a page or a link: the
recorded exports of real 0.70.3, 0.80.2, 0.90.1 and 0.95.0 servers, and ZIPs made here with the
names and bodies those servers can write."""

from __future__ import annotations

import json
import re
import unicodedata
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from docmost_syncd.cli import main
from tests.helpers import broken_anchors, page_files, unresolved_links

FIXTURES = Path(__file__).parent / "fixtures"
RECORDED = sorted(
    [
        *FIXTURES.glob("docmost-0.*-pages/exports/*.zip"),
        *FIXTURES.glob("docmost-0.[789]0.[0-9]/seccommon.with-attachments.zip"),
        *(FIXTURES / "docmost-0.95.0" / "exports").glob("*.zip"),
    ]
)
# Links into pages that were trashed or deleted, or into a space that was not exported: they
# stay plain text in every version's recordings, by design.
DEAD_ON_PURPOSE = ("(text 'trash')", "(text 'perm')", "(text 'other space')", "no longer exists")
PAGE_URL_SLUG = re.compile(r"/p/(?:[^/' ]*-)?([A-Za-z0-9]{10})'")


def outside_the_export(warning: str, slug_ids: set[str]) -> bool:
    """A link to a Docmost page this ZIP does not hold: one page exported alone, a page in
    another space, a trashed page. The ZIP cannot publish it; the link stays plain text."""
    match = PAGE_URL_SLUG.search(warning)
    return match is not None and match.group(1) not in slug_ids


def metadata_of(export: Path) -> dict[str, object]:
    with zipfile.ZipFile(export) as archive:
        return json.loads(archive.read("docmost-metadata.json"))  # type: ignore[no-any-return]


def front_matter(path: Path) -> dict[str, object]:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n", 2)[1])  # type: ignore[no-any-return]


def paths_and_titles(folder: Path) -> dict[str, tuple[str, object]]:
    """Page id → (path without extension, title) of every page published in ``folder``."""
    return {
        str(front_matter(p)["docmost_page_id"]): (str(p.relative_to(folder).with_suffix("")), front_matter(p)["title"])
        for p in page_files(folder)
    }


def convert(export: Path, output: Path, space: str = "space") -> int:
    return main(["convert", str(export), "--output", str(output), "--space", space])


def logged(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    """The JSON log lines `convert` wrote to stderr (it logs JSON when stderr is no terminal)."""
    return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]


def warnings_of(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [str(e["detail"]) for e in logged(capsys) if e["event"] == "space.link_unresolved"]


@pytest.mark.parametrize(
    "export",
    RECORDED,
    ids=lambda p: f"{p.parent.parent.name if p.parent.name == 'exports' else p.parent.name}/{p.name}",
)
def test_every_recorded_export_publishes_every_page_and_link(
    export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert convert(export, tmp_path) == 0
    metadata = metadata_of(export)
    pages = page_files(tmp_path / "space")
    published = {front_matter(page)["docmost_page_id"] for page in pages}
    assert published == {info["pageId"] for info in metadata["pages"].values()}  # type: ignore[attr-defined]
    assert unresolved_links(tmp_path) == []
    assert broken_anchors(tmp_path) == []
    warnings = warnings_of(capsys)
    without_files = "without-attachments" in export.name
    slug_ids = {str(info.get("slugId")) for info in metadata["pages"].values()}  # type: ignore[attr-defined]
    for warning in warnings:
        expected = any(reason in warning for reason in DEAD_ON_PURPOSE) or "without its anchor" in warning
        expected = expected or "empty link" in warning or (without_files and "attachment" in warning)
        expected = expected or outside_the_export(warning, slug_ids)
        assert expected, warning


def test_links_with_an_encoded_slash_find_their_page_on_servers_before_095(tmp_path: Path) -> None:
    """0.80.2 wrote these relative to the page's place in the metadata, with the title's `/` as %2F."""
    assert convert(FIXTURES / "docmost-0.80.2" / "seccommon.with-attachments.zip", tmp_path) == 0
    home = next(
        p
        for p in page_files(tmp_path / "space")
        if front_matter(p)["title"] == "Security365 환경 인증/인가 관련 공통 에러 페이지"
    )
    text = home.read_text()
    assert "[see C++ page](C-plus-plus-and-Java.md)" in text
    assert re.search(r"\(\.\./meomeideu/hangeul-gyeongro-haha/teseuteu-hangeul\.mdx?\)", text)


def write_export(path: Path, pages: dict[str, str], parents: dict[str, str] | None = None) -> dict[str, str]:
    """A space export in Docmost's layout: entry name → body; returns entry name → page id."""
    ids = {}
    metadata: dict[str, object] = {"version": "0.90.1", "pages": {}}
    with zipfile.ZipFile(path, "w") as archive:
        for number, (name, body) in enumerate(pages.items()):
            archive.writestr(zipfile.ZipInfo(name), body)
            key = "/".join(quote(part, safe="()'!*~") for part in name.split("/"))
            parent = (parents or {}).get(name)
            ids[name] = f"01a2cccc-0000-7000-8000-{number:012x}"
            metadata["pages"][key] = {  # type: ignore[index]
                "pageId": ids[name],
                "slugId": f"Slug{number:06d}",
                "icon": None,
                "position": f"a{number:04d}",
                "parentPath": "/".join(quote(p, safe="()'!*~") for p in parent.split("/"))
                if parent
                else None,
            }
        archive.writestr("docmost-metadata.json", json.dumps(metadata, ensure_ascii=False))
    return ids


def test_hostile_names_are_pages_like_any_other(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nfc = "한글 NFD 제목.md"
    nfd = unicodedata.normalize("NFD", nfc)
    pages = {
        nfc: "# 한글 NFD 제목\n\nthe NFC page, [twin](%E1%84%92%E1%85%A1%E1%86%AB%E1%84%80%E1%85%B3%E1%86%AF%20NFD%20%E1%84%8C%E1%85%A6%E1%84%86%E1%85%A9%E1%86%A8.md)",
        nfd: f"# {unicodedata.normalize('NFD', '한글 NFD 제목')}\n\nthe NFD page",
        "Tab\there.md": "# Tab\there\n\nA title with a tab.",
        "C:\\x.md": "# C:\\x\n\nA drive path for a title. A PDF block: []() and [named]().",
        "../../escape.md": "# escape\n\nA name that climbs.",
        "Release notes..md": "# Release notes.\n\n[other](Release%20notes.md)",
        "Release notes.md": "# Release notes\n\n[dotted](Release%20notes..md)",
    }
    ids = write_export(tmp_path / "odd-space-export.zip", pages)
    output = tmp_path / "out"
    assert main(["convert", str(tmp_path / "odd-space-export.zip"), "--output", str(output)]) == 0
    published = {front_matter(p)["docmost_page_id"]: p for p in page_files(output / "odd")}
    assert set(published) == set(ids.values())  # every page, the NFC/NFD twins both
    assert "the NFD page" in published[ids[nfd]].read_text()
    assert "the NFC page" in published[ids[nfc]].read_text()
    assert f"[twin]({published[ids[nfd]].name})" in published[ids[nfc]].read_text()
    dotted, plain = published[ids["Release notes..md"]], published[ids["Release notes.md"]]
    assert dotted != plain
    assert f"[other]({plain.name})" in dotted.read_text() and f"[dotted]({dotted.name})" in plain.read_text()
    drive = published[ids["C:\\x.md"]].read_text()
    assert "[]()" not in drive and "A PDF block:  and named." in drive
    assert sum("empty link" in w for w in warnings_of(capsys)) == 1  # one line per page and reason
    assert all(p.resolve().is_relative_to(output.resolve()) for p in output.rglob("*"))
    assert not (tmp_path.parent / "escape.md").exists() and not (tmp_path / "escape.md").exists()
    assert unresolved_links(output) == []


def test_links_to_docmost_headings_keep_the_page_and_drop_the_anchor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pages = {
        "Target.md": "# Target\n\n## Section\n\ntext",
        "Source.md": "# Source\n\n[there](Target.md#h-abcdefghij) [here](#h-klmnopqrst) "
        "[slug](/s/space/p/target-Slug000000#h-abcdefghij)",
    }
    write_export(tmp_path / "space-space-export.zip", pages)
    assert main(["convert", str(tmp_path / "space-space-export.zip"), "--output", str(tmp_path / "out")]) == 0
    source = (tmp_path / "out" / "space" / "Source.md").read_text()
    assert "[there](Target.md) [here](Source.md) [slug](Target.md)" in source
    assert broken_anchors(tmp_path / "out") == []
    assert sum("without its anchor" in w for w in warnings_of(capsys)) == 3


def test_a_page_missing_from_the_zip_is_named_and_the_rest_published(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = write_export(
        tmp_path / "gap-space-export.zip", {"Here.md": "# Here\n\nx", "Lost.md": "# Lost\n\ny"}
    )
    with (
        zipfile.ZipFile(tmp_path / "gap-space-export.zip") as source,
        zipfile.ZipFile(tmp_path / "g.zip", "w") as target,
    ):
        for info in source.infolist():
            if info.filename != "Lost.md":
                target.writestr(info, source.read(info))
    assert (
        main(["convert", str(tmp_path / "g.zip"), "--output", str(tmp_path / "out"), "--space", "gap"]) == 0
    )
    assert [front_matter(p)["docmost_page_id"] for p in page_files(tmp_path / "out" / "gap")] == [
        ids["Here.md"]
    ]
    missing = [e for e in logged(capsys) if e["event"] == "convert.page_missing"]
    assert [e["page_id"] for e in missing] == [ids["Lost.md"]]


# ---- one build: convert and sync agree where the export kept what sync reads -----------------------

# Pages of the 0.95.0 recording whose export lost what the page's JSON holds: Docmost names a
# colliding title "중복 제목 (1)" in its H1, writes "untitled" for an empty title, trims a trailing
# blank, drops a title's "/", and left three pages out of the ZIP altogether (names that collided).
EXPORT_LOST = {
    "01a22ec1-871a-7c31-9d54-34f8942930bd": "title written as '중복 제목 (1)'",
    "01a22ec1-8736-7bf0-a0d5-b23455b0f764": "its sibling took its name, the export's order of them differs",
    "01a22ec1-874c-7d12-8d0b-f458b9572827": "its parent moved with it",
    "01a22ec1-8763-729c-a6f7-6eb31ed109b6": "title written as 'untitled (1)'",
    "01a22ec1-8780-7bcb-90dd-6ce64f3085b8": "title written as 'untitled'",
    "01a22ec1-87b7-7e6a-a1f6-ab0c5e4cc0d6": "not in the ZIP",
    "01a22ec1-8817-7a46-b0e7-39b237a2d708": "not in the ZIP",
    "01a22ec1-8831-7f3b-a2a6-173cd5d0e75e": "not in the ZIP",
    "01a22ec1-86f1-7ac1-8600-eb961e4fcf81": "trailing blank of 'OIDC ' trimmed",
    "01a22ec1-8af0-7046-8f2f-3c9f6ad6420a": "'Backend/' is not in the ZIP",
}


def test_convert_and_sync_publish_the_same_paths_and_titles(routed_095: Path, tmp_path: Path) -> None:
    differences = {}
    for slug in ("sec-common", "eng", "bulk", "kitchen"):
        export = FIXTURES / "docmost-0.95.0-pages" / "exports" / f"{slug}.with-attachments.zip"
        assert main(["convert", str(export), "--output", str(tmp_path), "--space", slug]) == 0

        synced, converted = paths_and_titles(routed_095 / slug), paths_and_titles(tmp_path / slug)
        differences.update(
            {pid: (synced.get(pid), converted.get(pid)) for pid in set(synced) | set(converted) if synced.get(pid) != converted.get(pid)}
        )
    unexplained = {pid: pair for pid, pair in differences.items() if pid not in EXPORT_LOST}
    assert unexplained == {}
    assert set(differences) == set(EXPORT_LOST)  # each listed loss is real


@pytest.fixture
def routed_095(tmp_path: Path) -> Path:
    """The recorded 0.95.0 server's spaces, synced."""
    import respx

    from docmost_syncd.config import DocmostSettings, Settings
    from tests.docmost_double import DocmostDouble
    from tests.helpers import sync

    double = DocmostDouble("0.95.0", password="pw")
    output = tmp_path / "synced"
    settings = Settings(
        docmost=DocmostSettings(url="http://docmost.test", email="a@example.com", password="pw"), output={"dir": output}
    )
    with respx.mock(base_url="http://docmost.test", assert_all_called=False) as router:
        router.route().mock(side_effect=double.respx_side_effect)
        assert not sync(settings).failed
    return output


def _types(node: dict[str, object]) -> list[object]:
    """A node tree as nested [type, children…] lists, for comparing shapes."""
    return [node["type"], *[_types(child) for child in node.get("content", [])]]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("markdown", "shape"),
    [
        # Docmost closes a callout on a line of its own; a ":::" inside its code is code.
        (":::note\n```js\nx\n:::\n```\n:::\nafter", [["callout", ["codeBlock", ["text"]]], ["paragraph", ["text"]]]),
        (":::info\nhi\n- a\n- b\n:::", [["callout", ["paragraph", ["text"]], ["bulletList", ["listItem", ["paragraph", ["text"]]], ["listItem", ["paragraph", ["text"]]]]]]),
        ("text\n:::warning\nx\n:::", [["paragraph", ["text"]], ["callout", ["paragraph", ["text"]]]]),
        ("```\n:::info\n```", [["codeBlock", ["text"]]]),
        # A formula fenced by "$$" lines is a math block, whatever follows it; "$x$" stays inline.
        ("$$\nx\n$$\ntext after", [["mathBlock"], ["paragraph", ["text"]]]),
        ("$$\na\n$$\n$$\nb\n$$", [["mathBlock"], ["mathBlock"]]),
        ("$a$", [["paragraph", ["mathInline"]]]),
        ("- [ ] a\n- [x] b", [["taskList", ["taskItem", ["paragraph", ["text"]]], ["taskItem", ["paragraph", ["text"]]]]]),
        ("| a | |\n|---|---|\n| | x |", [["table", ["tableRow", ["tableHeader", ["paragraph", ["text"]]], ["tableHeader", ["paragraph"]]],
                                          ["tableRow", ["tableCell", ["paragraph"]], ["tableCell", ["paragraph", ["text"]]]]]]),
    ],
)  # fmt: skip
def test_docmost_s_markdown_becomes_the_editor_s_blocks(markdown: str, shape: list[object]) -> None:
    from docmost_syncd.sources.archive.nodes import page_content

    assert _types(page_content(markdown, str))[1:] == shape


def test_a_task_s_text_and_state_are_the_editor_s() -> None:
    from docmost_syncd.sources.archive.nodes import page_content

    items = page_content("- [ ] open\n- [x] done", str)["content"][0]["content"]
    assert [(i["attrs"]["checked"], i["content"][0]["content"][0]["text"]) for i in items] == [(False, "open"), (True, "done")]


# Lines of what Docmost's export writes, and of what it should never write, in any order.
MARKDOWN_LINES = [
    ":::info", ":::note x", ":::", "$$", "a^2", "```js", "```", "~~~", "> quote", "> :::tip", "- item", "  - nested",
    "1. one", "- [x] done", "- [ ] open", "| a | b |", "|---|---|", "| `x|y` | ![i](x.png) |", "[^1]: note", "",
    "<details>", "<summary>s</summary>", "</details>", "<table><tr><td colspan=2>x</td></tr></table>", "    code",
    "# Title", "---", "a **b** $c$ [d](e.md) ==f== <u>g</u>[^1] https://x.io", "<!--docmost-syncd callout info-->",
    "![i](files/01a2184c-bc73-762f-a0fc-9afbc3adcafb/a.png)", "[f.pdf](files/01a2184c-bc73-762f-a0fc-9afbc3adcafb/f.pdf)",
    # whole blocks, so that they are drawn often, not only when their lines meet by chance
    "| a | b |\n|---|---|\n| 1 | |", ":::warning\ntext\n:::", "$$\nx\n$$", "```\n:::\n```", "- [ ] a\n- [x] b",
    "x[^2]\n\n[^2]: two", "<details>\n<summary>s</summary>\n\nbody\n\n</details>",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(MARKDOWN_LINES), st.text(max_size=4)), max_size=30).map("\n".join))
def test_any_markdown_becomes_a_document_of_the_editor_s_nodes(markdown: str) -> None:
    from docmost_syncd.sources.archive.nodes import page_content

    def walk(node: dict[str, object]) -> None:
        assert isinstance(node.get("type"), str) and set(node) <= {"type", "attrs", "content", "text", "marks"}, node
        for child in node.get("content", []):  # type: ignore[attr-defined]
            walk(child)

    document = page_content(markdown, str)
    assert document["type"] == "doc"
    walk(document)


HTML_EXPORT = FIXTURES / "docmost-0.95.0" / "exports" / "sec-common.html.with-attachments.zip"


def _node_types(node: dict[str, Any], depth: int = 0) -> list[str]:
    """A node tree as indented lines of node types and their marks."""
    marks = ",".join(sorted(mark["type"] for mark in node.get("marks", [])))
    lines = ["  " * depth + node["type"] + (f" {marks}" if marks else "")]
    for child in node.get("content", []):
        lines += _node_types(child, depth + 1)
    return lines


def test_the_html_export_reads_back_as_the_editor_s_own_nodes() -> None:
    """The one page whose server JSON was recorded with the HTML export: the same node tree,
    node for node, but for the mentions, which the export writes as links."""
    from docmost_syncd.sources.archive.nodes import html_page_content

    recorded = json.loads((FIXTURES / "docmost-0.95.0" / "api" / "pages-info.json").read_text(encoding="utf-8"))
    server = recorded["response"]["body"]["data"]
    with zipfile.ZipFile(HTML_EXPORT) as archive:
        page = archive.read("Security365 환경 인증인가 관련 공통 에러 페이지.html").decode()
    expected = [line.replace("mention", "text link") for line in _node_types(server["content"])]
    assert len(expected) > 100
    assert _node_types(html_page_content(page, str)) == expected


def test_the_html_and_markdown_exports_of_a_space_publish_the_same_pages(tmp_path: Path) -> None:
    markdown_export = FIXTURES / "docmost-0.95.0" / "exports" / "sec-common.with-attachments.zip"
    assert convert(markdown_export, tmp_path / "md", "sec") == 0
    assert convert(HTML_EXPORT, tmp_path / "html", "sec") == 0

    from_markdown, from_html = paths_and_titles(tmp_path / "md" / "sec"), paths_and_titles(tmp_path / "html" / "sec")
    assert len(from_html) == 25
    assert from_html == from_markdown
    text = "".join(p.read_text(encoding="utf-8") for p in page_files(tmp_path / "html" / "sec"))
    assert "<html" not in text and "&lt;p" not in text and "data-type" not in text  # no markup as text
    assert ":::info" in text and ":::danger" in text and "- [x]" in text  # callouts and tasks
