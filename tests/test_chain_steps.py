"""Each step on its own: layout, attachment paths, the markdown links of ``convert``,
placeholders, verification."""

from __future__ import annotations

from pathlib import Path

import pytest

from docmost_syncd.errors import BuildError
from docmost_syncd.model import Attachment, Page, SpaceModel, drop_empty_placeholders
from docmost_syncd.publish.writer import StagingWriter
from docmost_syncd.site.layout import assign_attachment_paths, assign_paths
from docmost_syncd.site.output import verify_output


def page(
    pid: str, title: str | None, position: str, children: list[Page] | None = None, **fields: object
) -> Page:
    values: dict[str, object] = {"slug_id": f"S{pid}", **fields}
    return Page(id=pid, title=title, icon=None, position=position, parent_id=None, children=children or [],
                **values)  # type: ignore[arg-type]  # fmt: skip


def space(*roots: Page, folder: str = "sec-common") -> SpaceModel:
    model = SpaceModel(
        id="space-1", name="보안 공통 문서", slug="sec-common", folder=folder, roots=list(roots)
    )
    return model


# ---- layout ---------------------------------------------------------------------------------


def test_parents_become_category_folders_and_leaves_files() -> None:
    child = page("c", "테스트 한글", "a0")
    parent = page("p", "머메이드", "a0", [child])
    leaf = page("l", "C++ & Java", "a1")
    model = space(parent, leaf)
    assign_paths(model)
    assert parent.path == "meomeideu/meomeideu.md"
    assert child.path == "meomeideu/teseuteu-hangeul.md"
    assert leaf.path == "C-plus-plus-and-Java.md"
    assert (parent.sidebar_position, leaf.sidebar_position, child.sidebar_position) == (1, 2, 1)


def test_names_that_would_be_a_second_category_index_are_renamed() -> None:
    readme, index, twin = page("r", "Readme", "a0"), page("i", "index", "a1"), page("t", "Guides", "a2")
    guides = page("g", "Guides", "a0", [readme, index, twin])
    model = space(guides)
    assign_paths(model)
    assert [p.name for p in guides.children] == ["Readme-page", "index-page", "Guides-page"]


def test_sibling_collisions_get_suffixes_in_position_order() -> None:
    first, second, third = (
        page("1", "중복 제목", "a0"),
        page("2", "중복 제목", "a1"),
        page("3", "README", "a2"),
    )
    fourth = page("4", "readme", "a3")
    model = space(first, second, third, fourth)
    assign_paths(model)
    assert [p.name for p in model.roots] == [
        "jungbok-jemok",
        "jungbok-jemok-2",
        "README-page",
        "readme-page-2",
    ]


@pytest.mark.parametrize(
    ("title", "name"),
    [("files", "files"), ("_category_", "category"), ("", "Sx"), (None, "Sx"), ("...", "Sx")],
)
def test_awkward_titles(title: str | None, name: str) -> None:
    odd = page("x", title, "a0", [page("y", "files child", "a0")])
    assign_paths(space(odd))
    assert odd.name == name and odd.path == f"{name}/{name}.md"


def test_attachment_paths_are_safe_and_unique_per_id() -> None:
    model = space()
    model.attachments = {
        "01a2184c-bc73-762f-a0fc-9afbc3adcafb": Attachment("01a2184c-bc73-762f-a0fc-9afbc3adcafb", "notes_&_{todo}.txt", "e1"),
        "01a2184c-bc35-70f9-81e8-a7b13349c8ee": Attachment("01a2184c-bc35-70f9-81e8-a7b13349c8ee", "스크린샷_(1).PNG", "e2"),
        "01a2184c-0000-70f9-81e8-a7b13349c8ee": Attachment("01a2184c-0000-70f9-81e8-a7b13349c8ee", "README.md", "e3"),
    }  # fmt: skip
    assign_attachment_paths(model)
    paths = sorted(a.path for a in model.attachments.values())
    assert paths == [
        "_assets/01a2184c-0000-70f9-81e8-a7b13349c8ee/README.md.txt",
        "_assets/01a2184c-bc35-70f9-81e8-a7b13349c8ee/seukeurinsyas_1.png",
        "_assets/01a2184c-bc73-762f-a0fc-9afbc3adcafb/notes_-and-_todo.txt",
    ]


# ---- placeholders and verification --------------------------------------------------------------


def test_empty_untitled_placeholders_are_dropped_real_pages_stay() -> None:
    placeholder = page("p", None, "a0", empty=True)
    titled = page("t", "Untitled", "a1", empty=True)
    untitled_text = page("u", "", "a2", empty=False)
    parent = page("q", "", "a3", [page("c", "child", "a0")], empty=True)
    model = space(placeholder, titled, untitled_text, parent)
    drop_empty_placeholders(model)
    assert [p.id for p in model.roots] == ["t", "u", "q"]
    assert model.dropped == ["p"]


def test_verify_output_refuses_a_tree_that_does_not_match(tmp_path: Path) -> None:
    model = space(page("a", "A", "a0"), page("b", "B", "a1"))
    assign_paths(model)
    (tmp_path / "A.md").write_text("a")
    (tmp_path / "stray.mdx").write_text("?")
    with pytest.raises(BuildError, match=r"missing \['B.md'\], unexpected \['stray.mdx'\]"):
        verify_output(model, StagingWriter(tmp_path))


def test_a_title_ending_like_a_page_file_never_names_a_folder_like_its_parents_file() -> None:
    """A page titled "Guides.md" under "Guides", once it has children, would be the folder
    Guides/Guides.md: the very path of its parent's own page."""
    nested = page("n", "Guides.md", "a0", [page("c", "child", "a0")])
    guides = page("g", "Guides", "a0", [nested, page("x", "notes.MDX", "a1")])
    assign_paths(space(guides))
    assert guides.path == "Guides/Guides.md"
    assert nested.path == "Guides/Guides-md/Guides-md.md"
    assert guides.children[1].path == "Guides/notes-MDX.md"
