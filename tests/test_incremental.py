"""Incremental equals full: after any sequence of changes in Docmost, the output of syncing
after each change is byte for byte the output of one sync of the final state into an empty
folder. Run against a loopback Docmost double built from the 0.95.0 recordings."""

from __future__ import annotations

import copy
import json
import os
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docmost_syncd.config import DocmostSettings, Settings
from docmost_syncd.site.output import REDIRECTS_FILE, page_url
from tests.conftest import PASSWORD
from tests.docmost_double import DocmostDouble
from tests.helpers import page_files, sync, tree_contents

SPACES = ["kitchen", "eng", "sec-common"]
TEXT = st.text(alphabet=string.ascii_letters + string.digits + " 한글{}<>*_[]#:|&$`\\~-.!", max_size=24)
_BASE = DocmostDouble()  # loaded once; every example works on a copy


def fresh_double() -> DocmostDouble:
    double = copy.copy(_BASE)
    for name in ("items", "info", "files", "trashed", "spaces"):
        setattr(double, name, copy.deepcopy(getattr(_BASE, name)))
    double.requests, double.replies = [], {}
    return double


def live_ids(double: DocmostDouble, slug: str | None = None) -> list[str]:
    slugs = [slug] if slug else SPACES
    return sorted(item["id"] for s in slugs for item in double.pages_of(s))


def descendants(double: DocmostDouble, page_id: str) -> set[str]:
    return set(double._subtree(page_id))


def apply(double: DocmostDouble, data: st.DataObject, action: str, trashed: list[list[str]]) -> None:
    slug = data.draw(st.sampled_from(SPACES), label="space")
    pages = live_ids(double, slug)
    if action == "create" or not pages:
        parent = data.draw(st.none() | st.sampled_from(pages), label="parent") if pages else None
        double.create(slug, data.draw(TEXT, label="title"), parent, data.draw(TEXT, label="text"))
        return
    page = data.draw(st.sampled_from(pages), label="page")
    if action == "edit":
        double.edit(page, data.draw(TEXT, label="text") or "x")
    elif action == "rename":
        double.rename(page, data.draw(TEXT, label="title"))
    elif action == "move":
        candidates = [p for p in pages if p not in descendants(double, page)]
        parent = data.draw(st.none() | st.sampled_from(candidates), label="parent") if candidates else None
        double.move(
            page, parent, data.draw(st.sampled_from(["a0", "a5", "b", "Zz", "a00V"]), label="position")
        )
    elif action == "trash":
        trashed.append(double.trash(page))
    elif action == "restore" and trashed:
        double.restore(trashed.pop(data.draw(st.integers(0, len(trashed) - 1), label="which")))
    elif action == "attach":
        name = data.draw(
            st.sampled_from(["pic.png", "clip.mp4", "notes.txt", "doc.pdf", "tone.ogg"]), label="file"
        )
        attachment = double.add_file(name, os.urandom(64))
        kind = {"png": "image", "mp4": "video", "txt": "attachment", "pdf": "pdf", "ogg": "audio"}[name[-3:]]
        key = "url" if kind == "attachment" else "src"
        node = {
            "type": kind,
            "attrs": {key: f"/api/files/{attachment}/{name}", "attachmentId": attachment, "name": name},
        }
        double.set_content(
            page, [{"type": "paragraph", "content": [{"type": "text", "text": "file:"}]}, node]
        )
    elif action == "link":
        other = data.draw(st.sampled_from(live_ids(double)), label="target")
        target = double.info[other]
        anchors = [n["attrs"]["id"] for n in (target.get("content") or {}).get("content") or []
                   if n.get("type") == "heading" and n.get("attrs", {}).get("id")]  # fmt: skip
        anchor = data.draw(st.none() | st.sampled_from(anchors), label="anchor") if anchors else None
        href = f"/s/{target['space']['slug']}/p/x-{target['slugId']}" + (f"#{anchor}" if anchor else "")
        mention = {"type": "mention", "attrs": {"entityType": "page", "entityId": other,
                                                 "slugId": target["slugId"], "label": "m", "anchorId": anchor}}  # fmt: skip
        double.set_content(page, [{"type": "paragraph", "content": [
            {"type": "text", "text": "see ", "marks": [{"type": "link", "attrs": {"href": href}}]}, mention]},
            {"type": "subpages"}])  # fmt: skip
    elif action == "move_to_space":
        other = data.draw(st.sampled_from([s for s in SPACES if s != slug]), label="to space")
        double.move_to_space(page, other, data.draw(st.none() | st.sampled_from(live_ids(double, other)), label="parent"))
    elif action == "rename_space":
        double.rename_space(slug, data.draw(TEXT, label="name") or "Space")


ACTIONS = ["create", "edit", "rename", "move", "move_to_space", "trash", "restore", "attach", "link", "rename_space"]


def snapshot(output: Path) -> dict[str, dict[str, str]]:
    """Every published file's sha256, and every folder (a build that starts from a spare must
    leave no folder a full build would not have)."""
    return {
        entry: tree_contents(output / entry)
        for entry in sorted(os.listdir(output))
        if entry != ".docmost-syncd"
    }


def check_redirects(output: Path) -> None:
    """The redirect maps are history, which a full sync into an empty folder does not have: what
    they say is checked instead — every redirect leads from a URL no page holds to one a page holds
    (in its own space, or the one a page moved to)."""
    spaces = sorted(p for p in output.iterdir() if p.is_dir() and p.name != ".docmost-syncd")
    urls = {f"{space.name}/{page_url(str(p.relative_to(space)))}" for space in spaces for p in page_files(space)}
    for space in spaces:
        for redirect in json.loads((space / REDIRECTS_FILE).read_text())["redirects"]:
            assert redirect["to"] in urls and redirect["from"] not in urls, redirect
            assert redirect["from"].startswith(f"{space.name}/"), redirect


@settings(
    max_examples=int(os.environ.get("DOCMOST_SYNCD_PROPERTY_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_incremental_sync_equals_a_full_sync(
    data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    double = fresh_double()
    root = tmp_path_factory.mktemp("incremental")
    with double.serve() as url:
        docmost = DocmostSettings(url=url, email="admin@example.com", password=PASSWORD)

        def settings_for(output: Path) -> Settings:
            return Settings(docmost=docmost, output={"dir": output}, sync={"spaces_include": SPACES})

        incremental = settings_for(root / "incremental")
        assert not sync(incremental).failed
        trashed: list[list[str]] = []
        for action in data.draw(st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=6), label="actions"):
            apply(double, data, action, trashed)
            assert not sync(incremental).failed
        full = settings_for(root / "full")
        assert not sync(full).failed
    assert snapshot(root / "incremental") == snapshot(root / "full")
    check_redirects(root / "incremental")


def test_the_double_copies_do_not_share_state() -> None:
    first, second = fresh_double(), fresh_double()
    page: Any = live_ids(first, "kitchen")[0]
    first.rename(page, "changed in one copy")
    assert second.items[page]["title"] != "changed in one copy"
