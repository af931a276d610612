"""Old URLs keep working across spaces: a page moved from one space to another leaves a redirect
at each URL it had in the old space, for as long as it is published in the new one; a space
renamed in Docmost keeps its folder, so none of its URLs change. On the recorded 0.95 server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from docmost_syncd.config import Settings
from docmost_syncd.site.output import REDIRECTS_FILE, page_url
from tests.docmost_double import DocmostDouble
from tests.helpers import page_files, sync


def redirects(docs: Path, folder: str) -> list[dict[str, str]]:
    return list(json.loads((docs / folder / REDIRECTS_FILE).read_text())["redirects"])


def urls(docs: Path, folder: str) -> set[str]:
    return {f"{folder}/{page_url(str(path.relative_to(docs / folder)))}" for path in page_files(docs / folder)}


def published_paths(docs: Path) -> dict[str, str]:
    """page id → ``folder/path`` of every published page, from each space's _metadata.json."""
    found: dict[str, str] = {}
    for metadata in docs.glob("*/_metadata.json"):
        stack: list[Any] = list(json.loads(metadata.read_text())["pages"])
        while stack:
            node = stack.pop()
            found[node["id"]] = f"{metadata.parent.name}/{node['path']}"
            stack.extend(node.get("children") or [])
    return found


def a_page_with_children(double: DocmostDouble, slug: str) -> str:
    pages = double.pages_of(slug)
    parents = {page.get("parentPageId") for page in pages}
    return next(page["id"] for page in sorted(pages, key=lambda p: p["id"]) if page["id"] in parents)


def test_a_page_moved_to_another_space_keeps_its_old_urls(routed: DocmostDouble, settings: Settings) -> None:
    docs = settings.output.dir
    assert docs is not None
    sync(settings)
    moved = a_page_with_children(routed, "sec-common")
    subtree = routed._subtree(moved)
    before = {page_id: published_paths(docs)[page_id] for page_id in subtree}
    assert all(path.startswith("sec-common/") for path in before.values())
    old_urls = {page_id: "sec-common/" + page_url(path.removeprefix("sec-common/")) for page_id, path in before.items()}

    routed.move_to_space(moved, "kitchen")
    assert not sync(settings).failed
    now = published_paths(docs)
    assert all(now[page_id].startswith("kitchen/") for page_id in subtree)
    new_urls = {page_id: "kitchen/" + page_url(now[page_id].removeprefix("kitchen/")) for page_id in subtree}
    left_behind = redirects(docs, "sec-common")
    # every URL the page and its subpages had in sec-common leads to where they are now
    for page_id in subtree:
        assert {"from": old_urls[page_id], "to": new_urls[page_id]} in left_behind, (page_id, left_behind)
    assert all(r["to"] in urls(docs, "kitchen") | urls(docs, "sec-common") for r in left_behind)
    assert not any(r["from"] in urls(docs, "sec-common") for r in left_behind)

    # a later run that changes nothing keeps them; a rename over there is followed
    assert {space.result for space in sync(settings).spaces} <= {"unchanged", "empty"}
    assert redirects(docs, "sec-common") == left_behind
    routed.rename(moved, "Renamed Over There")
    assert not sync(settings).failed
    renamed = "kitchen/" + page_url(published_paths(docs)[moved].removeprefix("kitchen/"))
    assert renamed != new_urls[moved]
    assert {"from": old_urls[moved], "to": renamed} in redirects(docs, "sec-common")

    # no redirect ever points at an unpublished page: trashed over there, its old URLs go
    title = routed.info[moved]["title"]
    routed.trash(moved)
    assert not sync(settings).failed
    assert not any(r["from"] == old_urls[moved] for r in redirects(docs, "sec-common"))
    state = (docs / ".docmost-syncd" / "state.json").read_text()
    assert moved not in state and title not in state


def test_a_renamed_space_keeps_its_folder_and_every_url(routed: DocmostDouble, settings: Settings) -> None:
    docs = settings.output.dir
    assert docs is not None
    sync(settings)
    before = urls(docs, "sec-common")
    routed.rename_space("sec-common", "Security, renamed")
    assert not sync(settings).failed
    assert urls(docs, "sec-common") == before
    assert json.loads((docs / "sec-common" / "_category_.json").read_text())["label"] == "Security, renamed"
