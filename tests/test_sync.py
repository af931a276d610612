"""Whole sync runs against recorded servers: every live page published, in order, with working
links; only what changed is fetched and rewritten; failures leave the published copy as it was."""

from __future__ import annotations

import errno
import gc
import json
import os
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import respx
import yaml

from docmost_syncd import build as job
from docmost_syncd.cache import PageCache
from docmost_syncd.config import DocmostSettings, Settings
from docmost_syncd.model import BACKSLASH_STAND_IN, WORD_JOINER
from docmost_syncd.publish import writer as writer_module
from docmost_syncd.publish.publisher import Publisher
from docmost_syncd.run import RunOutcome
from tests.conftest import BASE_URL, SPACES, LogCapture
from tests.docmost_double import VERSIONS, DocmostDouble, published_page_count
from tests.helpers import (
    broken_anchors,
    file_digests,
    page_files,
    relative_links,
    sync,
    tree_contents,
    tree_snapshot,
    unresolved_links,
)

LISTING = ("/api/auth/login", "/api/version", "/api/spaces", "/api/pages/recent", "/api/labels", "/api/labels/pages")


def results(outcome: RunOutcome) -> dict[str, str]:
    return {space.folder: space.result for space in outcome.spaces}


def front_matter(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n", 2)[1])  # type: ignore[no-any-return]


def find_page(folder: Path, slug_id: str) -> Path:
    return next(p for p in page_files(folder) if front_matter(p)["docmost_slug_id"] == slug_id)


def requests_by_path(double: DocmostDouble) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path, _body in double.requests:
        key = "/api/files" if path.startswith("/api/files/") else path
        counts[key] = counts.get(key, 0) + 1
    return counts


# ---- everything, on every recorded server ----------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_full_sync_publishes_every_live_page(
    version: str, tmp_path: Path, docmost_settings: DocmostSettings
) -> None:
    double = DocmostDouble(version)
    settings = Settings(docmost=docmost_settings, output={"dir": tmp_path / "docs"})
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        router.route().mock(side_effect=double.respx_side_effect)
        outcome = sync(settings)
    output = tmp_path / "docs"
    assert not outcome.failed
    for slug in double.space_ids:
        folder = next(s.folder for s in outcome.spaces if s.name == next(
            space["name"] for space in double.spaces if space["slug"] == slug))  # fmt: skip
        expected = published_page_count(double, slug)
        if expected == 0:
            assert not (output / folder).exists()
            continue
        pages = page_files(output / folder)
        assert len(pages) == expected, (version, slug)
        ids = [front_matter(p)["docmost_page_id"] for p in pages]
        assert len(set(ids)) == len(ids)
    counts = requests_by_path(double)
    assert "/api/spaces/export" not in counts and "/api/pages/export" not in counts
    assert counts["/api/pages/info"] == len(double.items)  # every page's content, once
    assert unresolved_links(output) == []
    assert [p.name for p in (output / ".docmost-syncd").iterdir() if p.name.endswith(("_temp", "_old"))] == []


def check_level(
    space_root: Path,
    children: dict[str | None, list[dict[str, Any]]],
    nodes: list[dict[str, Any]],
    parent: str | None,
    directory: Path,
) -> None:
    """Published nodes under ``parent`` are the live children, in byte-wise position order."""
    expected = sorted(children.get(parent, []), key=lambda i: (str(i["position"]).encode(), i["id"]))
    assert [n["id"] for n in nodes] == [i["id"] for i in expected if i["id"] in {n["id"] for n in nodes}]
    for position, node in enumerate(nodes, start=1):
        path = space_root / str(node["path"])
        meta = front_matter(path)
        assert meta["sidebar_position"] == position
        # The exact title, as a reader sees it (see model.safe_label: a backslash is drawn as ∖).
        shown = str(meta["title"]).replace(BACKSLASH_STAND_IN, "\\").replace(WORD_JOINER, "")
        assert shown == (node["title"] if str(node["title"] or "").strip() else "Untitled")
        if node["children"]:
            assert path.parent.name == path.stem  # <name>/<name>.md(x), the category index
            category = json.loads((path.parent / "_category_.json").read_text())
            # The folder's label is its page's, icon included, as the page's own sidebar_label.
            label = f"{meta['docmost_icon']} {meta['title']}" if node.get("icon") else meta["title"]
            assert category == {"label": label, "position": position}
            assert meta.get("sidebar_label", meta["title"]) == label
            assert path.parent.parent == directory
            check_level(space_root, children, node["children"], str(node["id"]), path.parent)
        else:
            assert path.parent == directory


def test_hierarchy_and_order_match_the_listing(routed: DocmostDouble, settings: Settings) -> None:
    sync(settings)
    output = settings.output.dir
    assert output is not None
    for slug in ("sec-common", "eng", "bulk", "kitchen"):
        children: dict[str | None, list[dict[str, Any]]] = {}
        for item in routed.pages_of(slug):
            children.setdefault(item["parentPageId"], []).append(item)
        metadata = json.loads((output / slug / "_metadata.json").read_text())
        check_level(output / slug, children, metadata["pages"], None, output / slug)


def test_every_link_image_and_anchor_resolves(
    routed: DocmostDouble, settings: Settings, logs: LogCapture
) -> None:
    sync(settings)
    output = settings.output.dir
    assert output is not None
    assert len(relative_links(output)) > 40
    assert unresolved_links(output) == []
    assert broken_anchors(output) == []
    links = find_page(output / "kitchen", "dGnSeE1qWS").read_text()
    assert "[Tables page](Tables.mdx)" in links
    assert "[Text page heading](Text-and-Marks.mdx#h-text-target)" in links  # an anchor in another page
    assert "[jump below](#h-links-bottom)" in links  # an anchor on the same page
    assert "[Text and Marks](Text-and-Marks.mdx#h-text-target)" in links  # a mention with an anchor
    assert "[Math](Math.md)" in links  # the bare URL as text became the page's title
    assert "ANOTHER space (general): other space" in links  # a space docmost-syncd does not publish
    warnings = [e["detail"] for e in logs.events() if e["event"] == "space.link_unresolved"]
    assert any("/s/general/p/abcdefghij" in w for w in warnings)


def test_attachments_are_published_once_and_hard_linked_from_the_cache(
    routed: DocmostDouble, settings: Settings
) -> None:
    sync(settings)
    output = settings.output.dir
    assert output is not None
    assets = sorted(
        p.relative_to(output / "kitchen").as_posix() for p in (output / "kitchen").rglob("_assets/*/*")
    )
    assert len(assets) == 10
    assert (
        "_assets/01a22ecd-a0aa-7079-805f-104d2338e19d/tone.oga" in assets
    )  # Ogg, named as Docusaurus knows it
    cached = output / ".docmost-syncd" / "cache" / "files" / "01a22ecd-a0aa-7079-805f-104d2338e19d"
    published = output / "kitchen" / "_assets" / "01a22ecd-a0aa-7079-805f-104d2338e19d" / "tone.oga"
    assert (
        published.stat().st_ino
        == next(p for p in cached.iterdir() if not p.name.startswith(".")).stat().st_ino
    )
    assert routed.count("/api/files") == 18  # every attachment of every space, once


def test_a_download_cut_short_by_a_crash_is_removed_at_start_up_and_fetched_again(
    routed: DocmostDouble, settings: Settings
) -> None:
    output = settings.output.dir
    assert output is not None
    cache = PageCache(Publisher(output, settings.limits).swap.state_dir)
    attachment = "01a22ecd-a0aa-7079-805f-104d2338e19d"
    partial = cache.file_destination(attachment)
    partial.write_bytes(b"half a file")  # what a process killed mid-download leaves
    sync(settings)
    assert not partial.exists()
    cached = cache.file(attachment)
    assert (
        cached is not None
        and cached[0].read_bytes() == (output / "kitchen" / "_assets" / attachment / "tone.oga").read_bytes()
    )
    assert list(partial.parent.iterdir()) == []


# ---- only what changed ------------------------------------------------------------------------------


def test_an_unchanged_server_costs_the_listing_and_nothing_else(
    routed: DocmostDouble, settings: Settings
) -> None:
    sync(settings)
    output = settings.output.dir
    assert output is not None
    before = {slug: (output / slug).stat().st_ino for slug in ("sec-common", "eng", "bulk", "kitchen")}
    routed.reset_counts()
    outcome = sync(settings)
    assert set(results(outcome).values()) == {"unchanged", "empty"}
    assert set(requests_by_path(routed)) <= set(LISTING)
    # a walk and a read of its head again per space (bulk's walk takes 3 requests; empty has no head)
    assert requests_by_path(routed)["/api/pages/recent"] == 2 * 3 + (3 + 1) + 1
    assert {slug: (output / slug).stat().st_ino for slug in before} == before  # not swapped


def test_one_edit_costs_one_request_and_rewrites_one_file(routed: DocmostDouble, settings: Settings) -> None:
    sync(settings)
    output = settings.output.dir
    assert output is not None
    before = tree_snapshot(output / "bulk")
    page_id = routed.pages_of("bulk")[17]["id"]
    routed.edit(page_id, "A new paragraph in one bulk page.")
    routed.reset_counts()
    outcome = sync(settings)
    bulk = next(s for s in outcome.spaces if s.folder == "bulk")
    assert results(outcome)["bulk"] == "published"
    assert {k: v for k, v in results(outcome).items() if k != "bulk"} == {
        "sec-common": "unchanged", "eng": "unchanged", "kitchen": "unchanged", "empty": "empty"}  # fmt: skip
    assert [body for path, body in routed.requests if path == "/api/pages/info"] == [
        {"pageId": page_id, "includeContent": True}
    ]
    assert "/api/files" not in requests_by_path(routed)
    after = tree_snapshot(output / "bulk")
    changed = sorted(path for path in after if after[path] != before.get(path))
    edited = find_page(output / "bulk", routed.info[page_id]["slugId"]).relative_to(output / "bulk")
    assert changed == sorted([".inode", ".docmost-syncd-complete", str(edited)])
    assert bulk.files_written == 1  # the page; every other file stays in the spare the first publish left
    assert bulk.files_kept == len(before) - 1 - 2  # all but the folder's inode, the marker and the page
    assert bulk.files_linked == 0
    assert "A new paragraph in one bulk page." in (output / "bulk" / edited).read_text()
    assert gc.get_freeze_count() == 0  # what the run kept out of the collector's way is handed back


def test_the_next_build_starts_from_the_spare_and_never_writes_into_a_published_file(
    routed: DocmostDouble, settings: Settings
) -> None:
    """Builds are made in the space's spare (the copy the last swap retired), whose files share
    inodes with the published copy wherever a page did not change in between. Replacing a page
    there must leave the published file, and the copy retired by the swap, as they were."""
    sync(settings)
    output = settings.output.dir
    assert output is not None
    spare = output / ".docmost-syncd" / "bulk_spare"
    pages = routed.pages_of("bulk")
    routed.edit(pages[3]["id"], "First edit.")
    sync(settings)  # built in the spare the first publish seeded; the first copy is the spare now
    published_before = file_digests(output / "bulk")
    routed.edit(pages[17]["id"], "Second edit.")  # one inode in both the spare and the published copy
    outcome = sync(settings)
    bulk = next(s for s in outcome.spaces if s.folder == "bulk")
    assert (bulk.result, bulk.files_written, bulk.files_linked) == ("published", 1, 1), bulk
    # written: the second edit; linked from the published copy: the first edit, stale in the spare
    assert bulk.files_kept == len(published_before) - 1 - 2  # all but the marker and those two
    assert file_digests(spare) == published_before
    assert "Second edit." in find_page(output / "bulk", routed.info[pages[17]["id"]]["slugId"]).read_text()
    routed.move(pages[40]["id"], pages[41]["id"])  # a folder appears, and the spare has none
    routed.move(pages[3]["id"], pages[50]["id"])
    assert next(s for s in sync(settings).spaces if s.folder == "bulk").result == "published"
    routed.move(pages[3]["id"], None)  # the folder goes again
    assert next(s for s in sync(settings).spaces if s.folder == "bulk").result == "published"
    routed.edit(pages[5]["id"], "Third edit.")  # built in the copy that still has that folder
    assert next(s for s in sync(settings).spaces if s.folder == "bulk").result == "published"
    fresh = output.parent / "fresh"
    sync(settings.model_copy(update={"output": settings.output.model_copy(update={"dir": fresh})}))
    assert tree_contents(output / "bulk") == tree_contents(fresh / "bulk")  # files and folders


def test_a_build_equal_to_the_published_copy_keeps_it_and_records_its_inputs(
    routed: DocmostDouble, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inputs that changed without changing what readers see (here a docmost-syncd release that
    writes the same files): no swap, but the published marker names the new inputs, exactly as a
    fresh sync of the same server writes it."""
    sync(settings)
    output = settings.output.dir
    assert output is not None
    inode = (output / "bulk").stat().st_ino
    monkeypatch.setattr(job, "__version__", "99.0.0")
    assert results(sync(settings))["bulk"] == "unchanged"
    assert (output / "bulk").stat().st_ino == inode
    fresh = Settings(docmost=settings.docmost, output={"dir": tmp_path / "fresh"}, sync=settings.sync)
    sync(fresh)
    assert tree_snapshot(tmp_path / "fresh" / "bulk") == tree_snapshot(output / "bulk") | {
        ".inode": tree_snapshot(tmp_path / "fresh" / "bulk")[".inode"]
    }
    # The build that was not published is the next build's spare: complete, the published files.
    assert [p.name for p in (output / ".docmost-syncd").glob("bulk*")] == ["bulk_spare"]
    spare = output / ".docmost-syncd" / "bulk_spare"
    assert file_digests(spare) == file_digests(output / "bulk")


def test_a_renamed_space_is_rebuilt(routed: DocmostDouble, settings: Settings) -> None:
    sync(settings)
    routed.rename_space("eng", "Engineering Manual")
    outcome = sync(settings)
    assert results(outcome)["eng"] == "published"
    assert results(outcome)["bulk"] == "unchanged"
    assert settings.output.dir is not None
    category = json.loads((settings.output.dir / "eng" / "_category_.json").read_text())
    assert category == {"label": "Engineering Manual"}


def test_a_new_docmost_syncd_version_rebuilds_unchanged_spaces(
    routed: DocmostDouble, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync(settings)
    monkeypatch.setattr(job, "__version__", "99.0.0")
    routed.reset_counts()
    outcome = sync(settings)
    assert all(s.result in ("published", "unchanged", "empty") for s in outcome.spaces)
    assert "/api/pages/info" not in requests_by_path(routed)  # rebuilt from the cache
    # the output of this version equals the previous one: built again, not swapped
    assert {s.folder for s in outcome.spaces if s.files_linked or s.files_written} >= {"eng", "bulk"}


def test_links_into_another_space_follow_its_pages(routed: DocmostDouble, settings: Settings) -> None:
    target = routed.page_id("kitchen", "Tables")
    source = routed.pages_of("eng")[0]["id"]
    routed.set_content(source, [{"type": "paragraph", "content": [
        {"type": "text", "text": "See the kitchen's ",
         "marks": []},
        {"type": "text", "text": "tables", "marks": [{"type": "link", "attrs": {
            "href": f"http://127.0.0.1:3000/s/kitchen/p/tables-{routed.info[target]['slugId']}"}}]},
    ]}])  # fmt: skip
    sync(settings)
    output = settings.output.dir
    assert output is not None
    page = find_page(output / "eng", routed.info[source]["slugId"])
    assert re.search(r"\[tables\]\((\.\./)+kitchen/Tables\.mdx\)", page.read_text())
    routed.rename(target, "Tables, renamed")
    outcome = sync(settings)
    assert results(outcome)["kitchen"] == "published"
    assert results(outcome)["eng"] == "published"  # its link target moved
    assert results(outcome)["bulk"] == "unchanged"
    assert re.search(r"\[tables\]\((\.\./)+kitchen/Tables-renamed\.mdx\)", page.read_text())
    assert unresolved_links(output) == []


def test_trashed_pages_leave_and_restored_pages_return(routed: DocmostDouble, settings: Settings) -> None:
    sync(settings)
    output = settings.output.dir
    assert output is not None
    layout = routed.page_id("kitchen", "Layout Blocks")
    trashed = routed.trash(layout)
    assert len(trashed) == 3  # with its two children
    sync(settings)
    assert len(page_files(output / "kitchen")) == 12 - 3
    assert unresolved_links(output) == []
    routed.restore(trashed)
    sync(settings)
    assert len(page_files(output / "kitchen")) == 12


def test_a_damaged_cache_entry_is_fetched_again(routed: DocmostDouble, settings: Settings) -> None:
    sync(settings)
    output = settings.output.dir
    assert output is not None
    page_id = routed.page_id("kitchen", "Math")
    database = sqlite3.connect(output / ".docmost-syncd" / "cache" / "pages.sqlite")
    with database:
        database.execute("UPDATE pages SET content = '{ not json' WHERE id = ?", (page_id,))
        database.execute("UPDATE records SET facts = 'garbage' WHERE page_id = ?", (page_id,))
    database.close()
    routed.edit(routed.page_id("kitchen", "Embeds"))
    routed.reset_counts()
    outcome = sync(settings)
    assert not outcome.failed
    fetched = sorted(body["pageId"] for path, body in routed.requests if path == "/api/pages/info")
    assert fetched == sorted(
        [page_id, routed.page_id("kitchen", "Embeds")]
    )  # the damaged one, the edited one


def test_an_unreadable_cache_is_started_afresh(
    routed: DocmostDouble, settings: Settings, logs: LogCapture
) -> None:
    sync(settings)
    output = settings.output.dir
    assert output is not None
    (output / ".docmost-syncd" / "cache" / "pages.sqlite").write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        (output / ".docmost-syncd" / "cache" / f"pages.sqlite{suffix}").unlink(missing_ok=True)
    routed.reset_counts()
    outcome = sync(settings)
    assert not outcome.failed
    assert set(results(outcome).values()) == {"unchanged", "empty"}  # every page again, the same files
    assert routed.count("/api/pages/info") == len(routed.items)
    assert "cache.reset" in logs.names()


def test_a_node_this_renderer_does_not_know_is_written_as_text(
    routed: DocmostDouble, settings: Settings, logs: LogCapture
) -> None:
    page_id = routed.page_id("kitchen", "Math")
    newer = {
        "type": "quantumWidget",
        "attrs": {"x": 1},
        "content": [{"type": "text", "text": "from a newer Docmost"}],
    }
    routed.set_content(page_id, [newer, dict(newer)])
    outcome = sync(settings)
    assert not outcome.failed
    assert settings.output.dir is not None
    assert "from a newer Docmost" in (settings.output.dir / "kitchen" / "Math.md").read_text()
    unknown = [e for e in logs.events() if e["event"] == "render.unknown_node"]
    assert [e["type"] for e in unknown] == ["quantumWidget"]  # once per type per space


def test_an_empty_untitled_placeholder_is_not_published(routed: DocmostDouble, settings: Settings) -> None:
    placeholder = routed.create("kitchen", "")
    routed.set_content(placeholder, [{"type": "paragraph"}])
    sync(settings)
    assert settings.output.dir is not None
    assert len(page_files(settings.output.dir / "kitchen")) == 12


# ---- failures keep what is published ------------------------------------------------------------


@pytest.fixture
def published(routed: DocmostDouble, settings: Settings) -> dict[str, dict[str, str]]:
    sync(settings)
    assert settings.output.dir is not None
    return {
        slug: tree_snapshot(settings.output.dir / slug) for slug in ("sec-common", "eng", "bulk", "kitchen")
    }


def assert_untouched(settings: Settings, before: dict[str, dict[str, str]]) -> None:
    output = settings.output.dir
    assert output is not None
    for folder, snapshot in before.items():
        assert tree_snapshot(output / folder) == snapshot, folder
    assert [p.name for p in (output / ".docmost-syncd").iterdir() if p.name.endswith(("_temp", "_old"))] == []


def edit_every_space(double: DocmostDouble) -> None:
    for slug in ("sec-common", "eng", "bulk", "kitchen"):
        double.edit(double.pages_of(slug)[0]["id"])


def test_a_renderer_failure_keeps_the_published_copy(
    published: dict[str, dict[str, str]],
    routed: DocmostDouble,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    edit_every_space(routed)

    def broken(*_args: object, **_kwargs: object) -> object:
        raise ValueError("renderer blew up")

    monkeypatch.setattr(job, "render_page", broken)
    outcome = sync(settings)
    failed = {s.folder: s.error for s in outcome.spaces if s.result == "failed"}
    assert set(failed) == {"sec-common", "eng", "bulk", "kitchen"}
    assert all("renderer blew up" in str(e) for e in failed.values())
    assert_untouched(settings, published)


def test_disk_full_keeps_the_published_copy(
    published: dict[str, dict[str, str]],
    routed: DocmostDouble,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    edit_every_space(routed)

    def enospc(path: str, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "_temp" in str(path) and ("w" in mode or "x" in mode):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return open(path, mode, *args, **kwargs)

    monkeypatch.setattr(writer_module, "open", enospc, raising=False)
    outcome = sync(settings)
    assert {s.result for s in outcome.spaces if s.folder != "empty"} == {"failed"}
    assert all("No space left" in str(s.error) for s in outcome.spaces if s.result == "failed")
    assert_untouched(settings, published)


def test_a_page_that_cannot_be_fetched_fails_its_space_only(
    published: dict[str, dict[str, str]], routed: DocmostDouble, settings: Settings
) -> None:
    edit_every_space(routed)
    original = routed._info

    def info(payload: dict[str, Any]) -> Any:
        if payload["pageId"] in {i["id"] for i in routed.pages_of("eng")}:
            from tests.docmost_double import Reply

            return Reply(500, b'{"statusCode":500,"message":"Internal server error"}', {})
        return original(payload)

    routed._info = info  # type: ignore[method-assign]
    outcome = sync(settings)
    assert results(outcome)["eng"] == "failed"
    assert results(outcome)["kitchen"] == "published"
    assert_untouched(settings, {"eng": published["eng"]})


def test_too_little_disk_space_fails_the_space_clearly(
    published: dict[str, dict[str, str]],
    routed: DocmostDouble,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    edit_every_space(routed)
    import shutil as shutil_module

    monkeypatch.setattr(
        shutil_module,
        "disk_usage",
        lambda _p: shutil_module._ntuple_diskusage(10**9, 10**9 - 1000, 1000),  # type: ignore[attr-defined]
    )
    outcome = sync(settings)
    failed = [s for s in outcome.spaces if s.result == "failed"]
    assert failed and all(
        "MiB free" in str(s.error) and "published copy is kept" in str(s.error) for s in failed
    )
    assert_untouched(settings, published)


def test_prune_removes_only_what_this_tool_published(routed: DocmostDouble, settings: Settings) -> None:
    output = settings.output.dir
    assert output is not None
    output.mkdir(parents=True)
    (output / "intro.md").write_text("# the site's own page")
    (output / "guides").mkdir()
    (output / "guides" / "guide.md").write_text("mine")
    sync(settings)
    settings.sync.spaces_exclude = ["eng"]
    outcome = sync(settings)
    assert outcome.pruned == ["eng"]
    assert not (output / "eng").exists()
    assert (output / "sec-common").is_dir()
    assert (output / "intro.md").read_text() == "# the site's own page"
    assert (output / "guides" / "guide.md").read_text() == "mine"


def test_space_folder_never_takes_over_a_foreign_folder(routed: DocmostDouble, settings: Settings) -> None:
    output = settings.output.dir
    assert output is not None
    (output / "eng").mkdir(parents=True)
    (output / "eng" / "notes.md").write_text("not docmost-syncd's")
    sync(settings)
    assert (output / "eng" / "notes.md").read_text() == "not docmost-syncd's"
    assert len(page_files(output / "eng-2")) == published_page_count(routed, "eng")


# ---- taking over an output folder of the export-based release --------------------------------------


def test_an_output_of_the_export_based_release_is_taken_over(
    routed: DocmostDouble, settings: Settings
) -> None:
    """Its state file and markers have no build key and no manifest: the first run keeps each
    space's folder, and a space whose files come out the same is not swapped."""
    sync(settings)
    output = settings.output.dir
    assert output is not None
    state_file = output / ".docmost-syncd" / "state.json"
    state = json.loads(state_file.read_text())
    for entry in state["spaces"].values():
        for key in ("build_key", "foreign"):
            entry.pop(key, None)
        entry.update(tree_fingerprint="0" * 64, latest_update="2026-11-26T14:41:10.123Z", links_to=[])
    state_file.write_text(json.dumps(state))
    for slug in ("sec-common", "eng", "bulk", "kitchen"):
        marker = output / slug / ".docmost-syncd-complete"
        data = json.loads(marker.read_text())
        marker.write_text(json.dumps({k: data[k] for k in ("space_id", "digest", "pages")}))
    (output / ".docmost-syncd" / "downloads").mkdir()
    (output / ".docmost-syncd" / "downloads" / "eng.zip").write_bytes(b"PK half an export")
    import shutil

    shutil.rmtree(output / ".docmost-syncd" / "cache")  # the old release had no page cache
    before = {slug: (output / slug).stat().st_ino for slug in ("sec-common", "eng", "bulk", "kitchen")}
    outcome = sync(settings)
    assert set(results(outcome)) == set(SPACES)  # the same folders, no "eng-2"
    assert set(results(outcome).values()) == {"unchanged", "empty"}
    assert {slug: (output / slug).stat().st_ino for slug in before} == before
    assert not (output / ".docmost-syncd" / "downloads").exists()
    assert os.listdir(output / ".docmost-syncd" / "cache")


# ---- no silent mass removal -------------------------------------------------------------------------


def test_a_space_that_lost_most_of_its_pages_waits_for_a_confirmation(
    published: dict[str, dict[str, str]], routed: DocmostDouble, settings: Settings, logs: LogCapture
) -> None:
    pages = routed.pages_of("bulk")
    leaves = [item["id"] for item in pages if item["id"] not in {p.get("parentPageId") for p in pages}]
    trashed: list[str] = []
    while len(trashed) <= 0.6 * len(pages):  # a bulk move to the trash
        trashed += routed.trash(leaves.pop())
    outcome = sync(settings)
    assert results(outcome)["bulk"] == "failed"
    refused = [event for event in logs.events() if event["event"] == "space.failed"]
    assert [event["space"] for event in refused] == ["bulk"]
    assert f"would remove {len(trashed)} of the " in refused[0]["error"]
    assert "--allow-removal" in refused[0]["error"] and refused[0]["kept"] == "the published copy"
    assert_untouched(settings, {"bulk": published["bulk"]})

    confirmed = sync(settings, allow_removal=True)
    assert results(confirmed)["bulk"] == "published"
    assert settings.output.dir is not None
    assert len(page_files(settings.output.dir / "bulk")) == published_page_count(routed, "bulk")


def test_a_few_pages_gone_are_published_without_asking(
    published: dict[str, dict[str, str]], routed: DocmostDouble, settings: Settings
) -> None:
    pages = routed.pages_of("bulk")
    leaves = [item["id"] for item in pages if item["id"] not in {p.get("parentPageId") for p in pages}]
    for page_id in leaves[:21]:  # more than removal_guard_pages, far less than half
        routed.trash(page_id)
    assert results(sync(settings))["bulk"] == "published"


def test_a_run_that_would_prune_every_space_prunes_none(
    published: dict[str, dict[str, str]], routed: DocmostDouble, settings: Settings, logs: LogCapture
) -> None:
    routed.spaces.clear()  # the sync account lost its access to every space
    outcome = sync(settings)
    assert outcome.pruned == []
    refused = [event for event in logs.events() if event["event"] == "space.prune_refused"]
    assert sorted(event["space"] for event in refused) == sorted(published)
    assert all("--allow-removal" in event["reason"] for event in refused)
    assert_untouched(settings, published)

    confirmed = sync(settings, allow_removal=True)
    assert sorted(confirmed.pruned) == sorted(published)
