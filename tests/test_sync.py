"""Whole sync runs against the recorded server: every live page published, in order, links resolving;
failures anywhere leave the published copy byte-identical."""

from __future__ import annotations

import errno
import json
import re
import zipfile
from pathlib import Path

import pytest
import yaml

from docmost_syncd.config import Settings
from docmost_syncd.docmost.client import DocmostClient
from docmost_syncd.errors import BuildError
from docmost_syncd.postprocess import chain
from docmost_syncd.sync import Publisher, run_sync
from tests.conftest import LogCapture
from tests.docmost_double import EXPORTS, DocmostDouble, Reply, _recorded, live_page_count
from tests.helpers import relative_links, tree_snapshot, unresolved_links

FOLDERS = {"sec-common": "sec-common", "eng": "eng", "bulk": "bulk"}


def sync(settings: Settings, **kwargs: object) -> object:
    assert settings.output.dir is not None
    with DocmostClient(settings.docmost, sleep=lambda _s: None) as client:
        publisher = Publisher(settings.output.dir, settings.limits, server_url=settings.docmost.url)
        publisher.swap.recover()
        return run_sync(settings, client, publisher, **kwargs)  # type: ignore[arg-type]


def front_matter(path: Path) -> dict[str, object]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n", 2)[1])  # type: ignore[no-any-return]


def published_pages(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*.md") if "_assets" not in p.parts]


def test_full_sync_publishes_every_live_page(
    routed: DocmostDouble, settings: Settings, logs: LogCapture
) -> None:
    outcome = sync(settings)
    output = settings.output.dir
    assert output is not None
    results = {space.folder: space.result for space in outcome.spaces}  # type: ignore[attr-defined]
    assert results == {"sec-common": "published", "eng": "published", "bulk": "published", "empty": "empty"}
    for slug, folder in FOLDERS.items():
        pages = published_pages(output / folder)
        assert len(pages) == live_page_count(slug), slug  # sec-common 28 (ZIP 25), eng 32 (ZIP 31), bulk 231
        ids = [front_matter(p)["docmost_page_id"] for p in pages]
        assert len(set(ids)) == len(ids)
    assert not (output / "empty").exists()
    assert routed.count("/api/pages/export") == 3 + 1  # the pages Docmost's ZIPs lost to name collisions
    assert routed.count("/api/spaces/export") == 3  # the empty space has no live page: not exported
    assert "space.pages_recovered" in logs.names()
    assert [p.name for p in (output / ".docmost-syncd").iterdir() if p.name.endswith(("_temp", "_old"))] == []


def check_level(
    space_root: Path,
    children: dict[str | None, list[dict[str, object]]],
    nodes: list[dict[str, object]],
    parent: str | None,
    directory: Path,
) -> None:
    """Published nodes under ``parent`` are the live children, in byte-wise position order."""
    expected = sorted(children.get(parent, []), key=lambda i: (str(i["position"]).encode(), i["id"]))
    assert [n["id"] for n in nodes] == [i["id"] for i in expected]
    for position, node in enumerate(nodes, start=1):
        path = space_root / str(node["path"])
        meta = front_matter(path)
        assert meta["sidebar_position"] == position
        assert meta["title"] == (node["title"] if str(node["title"] or "").strip() else "Untitled")
        if node["children"]:
            assert path.parent.name == path.stem  # <slug>/<slug>.md, the category index
            category = json.loads((path.parent / "_category_.json").read_text())
            assert category == {"label": meta["title"], "position": position}
            assert path.parent.parent == directory
            check_level(space_root, children, node["children"], str(node["id"]), path.parent)  # type: ignore[arg-type]
        else:
            assert path.parent == directory


def test_hierarchy_and_order_match_the_live_tree(routed: DocmostDouble, settings: Settings) -> None:
    sync(settings)
    output = settings.output.dir
    assert output is not None
    for slug, folder in FOLDERS.items():
        tree = json.loads(
            (Path(__file__).parent / "fixtures/docmost-0.95.0/api/trees" / f"{slug}.json").read_text()
        )
        children: dict[str | None, list[dict[str, object]]] = {}
        for exchange in tree["exchanges"]:
            for item in exchange["response"]["body"]["data"]["items"]:
                children.setdefault(item["parentPageId"], []).append(item)
        metadata = json.loads((output / folder / "_metadata.json").read_text())
        check_level(output / folder, children, metadata["pages"], None, output / folder)


def test_every_link_and_image_resolves(routed: DocmostDouble, settings: Settings) -> None:
    sync(settings)
    output = settings.output.dir
    assert output is not None
    links = relative_links(output)
    assert len(links) > 20
    assert unresolved_links(output) == []
    assets = sorted(p.relative_to(output).as_posix() for p in output.rglob("_assets/*/*"))
    assert "sec-common/_assets/01a2184c-bc35-70f9-81e8-a7b13349c8ee/seukeurinsyas_2024-01-01_1.png" in assets
    main = next(
        p for p in (output / "sec-common").rglob("*.md") if front_matter(p)["docmost_slug_id"] == "X1DYm8jquQ"
    )
    text = main.read_text()
    assert "[see C++ page](C-plus-plus-and-Java.md)" in text
    assert "Link to trashed page: trash" in text  # dead internal link made plain text


def test_unchanged_space_is_not_swapped(routed: DocmostDouble, settings: Settings) -> None:
    sync(settings)
    output = settings.output.dir
    assert output is not None
    before = {folder: (output / folder).stat().st_ino for folder in FOLDERS}
    exports = routed.count("/api/spaces/export")
    outcome = sync(settings)
    assert {s.result for s in outcome.spaces if s.folder in FOLDERS} == {"unchanged"}  # type: ignore[attr-defined]
    assert {folder: (output / folder).stat().st_ino for folder in FOLDERS} == before
    assert routed.count("/api/spaces/export") == exports  # no export request at all


def test_unchanged_content_without_update_times_is_exported_but_not_swapped(
    routed: DocmostDouble, settings: Settings
) -> None:
    sync(settings)
    output = settings.output.dir
    assert output is not None
    before = {folder: (output / folder).stat().st_ino for folder in FOLDERS}
    routed._recent = lambda space_id: _recorded("error-404-unknown-route")  # type: ignore[method-assign]
    exports = routed.count("/api/spaces/export")
    outcome = sync(settings)
    assert {s.result for s in outcome.spaces if s.folder in FOLDERS} == {"unchanged"}  # type: ignore[attr-defined]
    assert routed.count("/api/spaces/export") == exports + 3  # unsure, so exported; equal digest, so no swap
    assert {folder: (output / folder).stat().st_ino for folder in FOLDERS} == before


def test_an_edit_upstream_is_exported_and_published(routed: DocmostDouble, settings: Settings) -> None:
    sync(settings)
    output = settings.output.dir
    assert output is not None
    before = {folder: (output / folder).stat().st_ino for folder in FOLDERS}
    routed.touch("eng")
    outcome = sync(settings)
    results = {s.folder: s.result for s in outcome.spaces}  # type: ignore[attr-defined]
    assert results == {"eng": "published", "sec-common": "unchanged", "bulk": "unchanged", "empty": "empty"}
    assert (output / "eng").stat().st_ino != before["eng"]
    assert (output / "bulk").stat().st_ino == before["bulk"]


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
    assert outcome.pruned == ["eng"]  # type: ignore[attr-defined]
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
    assert len(published_pages(output / "eng-2")) == 32


@pytest.fixture
def published(routed: DocmostDouble, settings: Settings) -> dict[str, dict[str, str]]:
    sync(settings)
    assert settings.output.dir is not None
    return {folder: tree_snapshot(settings.output.dir / folder) for folder in FOLDERS}


def assert_untouched(settings: Settings, before: dict[str, dict[str, str]]) -> None:
    output = settings.output.dir
    assert output is not None
    for folder, snapshot in before.items():
        assert tree_snapshot(output / folder) == snapshot, folder
    assert [p.name for p in (output / ".docmost-syncd").iterdir() if p.name.endswith(("_temp", "_old"))] == []


def change_every_export(double: DocmostDouble) -> None:
    """Make every space differ upstream (so a sync would export and swap)."""
    for slug in FOLDERS:
        double.touch(slug)


def test_exception_in_a_chain_step_keeps_the_published_copy(
    published: dict[str, dict[str, str]],
    routed: DocmostDouble,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    change_every_export(routed)

    def broken(body: object, page: object, context: object) -> None:
        raise ValueError("step blew up")

    steps = [(name, broken if name == "mdx" else step) for name, step in chain.BODY_STEPS]
    assert [name for name, _step in steps].count("mdx") == 1
    monkeypatch.setattr(chain, "BODY_STEPS", steps)
    outcome = sync(settings)
    failed = {s.folder: s.error for s in outcome.spaces if s.result == "failed"}  # type: ignore[attr-defined]
    assert set(failed) == set(FOLDERS)
    assert all("postprocess step mdx failed" in str(e) for e in failed.values())
    assert_untouched(settings, published)


def test_disk_full_keeps_the_published_copy(
    published: dict[str, dict[str, str]],
    routed: DocmostDouble,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    change_every_export(routed)
    real_write = Path.write_bytes
    calls = {"n": 0}

    def enospc(self: Path, data: bytes) -> int:  # type: ignore[override]
        calls["n"] += 1
        if calls["n"] > 5:
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", enospc)
    outcome = sync(settings)
    assert {s.result for s in outcome.spaces if s.folder in FOLDERS} == {"failed"}  # type: ignore[attr-defined]
    assert any("No space left" in str(s.error) for s in outcome.spaces)  # type: ignore[attr-defined]
    assert_untouched(settings, published)


def test_hostile_zip_keeps_the_published_copy(
    published: dict[str, dict[str, str]], routed: DocmostDouble, settings: Settings, tmp_path: Path
) -> None:
    hostile = tmp_path / "hostile.zip"
    with zipfile.ZipFile(hostile, "w") as archive:
        archive.writestr("ok.md", "# ok")
        archive.writestr("../../escape.md", "# gotcha")
    routed.export_bytes["eng"] = hostile.read_bytes()
    outcome = sync(settings)
    eng = next(s for s in outcome.spaces if s.folder == "eng")  # type: ignore[attr-defined]
    assert eng.result == "failed" and "'..'" in str(eng.error)
    assert not (tmp_path / "escape.md").exists()
    assert_untouched(settings, published)


def test_export_500_fails_one_space_not_the_others(
    routed: DocmostDouble, settings: Settings, logs: LogCapture
) -> None:
    routed.export_overrides["eng"] = _recorded("spaces-export-non-uuid-space-id")
    outcome = sync(settings)
    results = {s.folder: s.result for s in outcome.spaces}  # type: ignore[attr-defined]
    assert results["eng"] == "failed" and results["sec-common"] == "published"
    failed = [e for e in logs.events() if e["event"] == "space.failed"]
    assert len(failed) == 1 and failed[0]["space"] == "eng" and "HTTP 500" in failed[0]["error"]
    assert failed[0]["kept"] == "the published copy"


def test_a_failed_build_raises_build_error_for_unfetchable_pages(tmp_path: Path) -> None:
    from docmost_syncd.docmost.models import TreePage
    from docmost_syncd.model import build_from_tree

    tree = [TreePage("id-1", "slug1", "Lost", None, "a0", None, False)]
    with pytest.raises(BuildError, match="missing from the export"):
        build_from_tree("s", "S", "s", "s", tree, None, None)


def test_empty_reply_from_login_is_a_failed_run(routed: DocmostDouble, settings: Settings) -> None:
    routed.login_replies.append(Reply(401, b'{"message":"Unauthorized","statusCode":401}', {}))
    outcome = sync(settings)
    assert outcome.failed and "401" in str(outcome.error)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("source", "target"), [("sec-common", "eng"), ("eng", "sec-common")])
def test_links_to_another_synced_space_become_relative(
    routed: DocmostDouble, settings: Settings, logs: LogCapture, source: str, target: str
) -> None:
    """eng is synced before sec-common (spaces run in listing order here): a link from eng into
    sec-common cannot resolve on the first pass and is fixed by the relinking pass of the run."""
    slug_id = next(sid for _pid, (slug, sid) in routed.page_slug_id.items() if slug == target)
    routed.touch(
        source, text=f"Across spaces: [other page](http://127.0.0.1:3000/s/{target}/p/some-title-{slug_id})."
    )
    settings.sync.concurrency = 1
    outcome = sync(settings)
    assert not outcome.failed  # type: ignore[attr-defined]
    output = settings.output.dir
    assert output is not None
    page, text = next(
        (p, t) for p in (output / source).rglob("*.md") if "Across spaces" in (t := p.read_text())
    )
    link = re.search(r"Across spaces: \[other page\]\((?P<dest>[^)]+)\)", text)
    assert link, text[-300:]
    resolved = (page.parent / link.group("dest")).resolve()
    assert resolved.is_file() and resolved.is_relative_to((output / target).resolve())
    assert f"docmost_slug_id: {slug_id}" in resolved.read_text()
    assert unresolved_links(output) == []
    relinked = [e for e in logs.events() if e["event"] == "sync.relinking"]
    assert (relinked[0]["spaces"] == [source]) if source == "eng" else not relinked


def test_too_little_disk_space_fails_the_space_clearly(
    published: dict[str, dict[str, str]],
    routed: DocmostDouble,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import shutil
    from collections import namedtuple

    change_every_export(routed)
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _path: usage(10**9, 10**9 - 4096, 4096))
    outcome = sync(settings)
    errors = {s.folder: s.error for s in outcome.spaces if s.result == "failed"}  # type: ignore[attr-defined]
    assert set(errors) == set(FOLDERS)
    assert all("MiB free" in str(e) and "published copy is kept" in str(e) for e in errors.values())
    assert_untouched(settings, published)


def test_attachments_missing_from_the_export_are_fetched_from_the_server(
    routed: DocmostDouble, settings: Settings, logs: LogCapture
) -> None:
    """An export made without attachments links files as /api/files/<id>/<name>: each is fetched
    once with GET and published like the ZIP's own, so every image still resolves."""
    routed.export_bytes["eng"] = (EXPORTS / "eng.without-attachments.zip").read_bytes()
    sync(settings)
    output = settings.output.dir
    assert output is not None
    fetched = [path for path, _body in routed.requests if path.startswith("/api/files/")]
    assert len(fetched) == 4  # diagram.png twice (two ids), api_notes.txt, release-checklist.pdf
    assets = sorted(p.relative_to(output / "eng").as_posix() for p in (output / "eng").rglob("_assets/*/*"))
    assert len(assets) == 4 and any(a.endswith("/diagram.png") for a in assets)
    assert unresolved_links(output) == []
    assert not [e for e in logs.events() if e["event"] == "space.link_unresolved" and e["space"] == "eng"]


def test_an_attachment_the_server_cannot_find_becomes_plain_text(
    routed: DocmostDouble, settings: Settings, logs: LogCapture
) -> None:
    routed.export_bytes["eng"] = (EXPORTS / "eng.without-attachments.zip").read_bytes()
    original = routed._file
    routed._file = lambda path, headers: (  # type: ignore[method-assign]
        _recorded("error-404-unknown-route") if "diagram" in path else original(path, headers)
    )
    outcome = sync(settings)
    assert not outcome.failed  # type: ignore[attr-defined]
    output = settings.output.dir
    assert output is not None
    assert unresolved_links(output) == []
    warnings = [
        e["detail"] for e in logs.events() if e["event"] == "space.link_unresolved" and e["space"] == "eng"
    ]
    assert any("could not be fetched" in w and "diagram.png" in w for w in warnings)


def test_a_space_linking_into_one_that_emptied_in_the_same_run_is_relinked(
    routed: DocmostDouble, settings: Settings
) -> None:
    """Every outcome, the early 'empty' return included, carries its times for relinking."""
    from docmost_syncd.docmost.models import Space
    from docmost_syncd.sync import _to_relink, sync_space

    sync(settings)
    assert settings.output.dir is not None
    publisher = Publisher(settings.output.dir, settings.limits)
    eng = publisher.state.get(routed.space_ids["eng"])
    assert eng is not None
    eng.links_to = ["slug:empty"]
    publisher.state.update(eng)
    spaces = {slug: Space(id=space_id, name=slug, slug=slug) for slug, space_id in routed.space_ids.items()}
    with DocmostClient(settings.docmost, sleep=lambda _s: None) as client:
        built = sync_space(client, publisher, spaces["eng"], "eng")
        emptied = sync_space(client, publisher, spaces["empty"], "empty")
    assert (built.result, emptied.result) == ("unchanged", "empty")
    assert built.started_at > 0 and emptied.finished_at > built.started_at
    assert _to_relink(publisher, [spaces["eng"], spaces["empty"]], [built, emptied], []) == [spaces["eng"]]
