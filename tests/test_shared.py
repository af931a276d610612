"""``sync.publish = "shared"`` against a recorded Docmost 0.95.0 with 8 public shares (with and
without subpages, search indexing off, a deep page shared alone, a share nested in another; see
tests/fixtures/docmost-0.95.0-shares/README.md): exactly what Docmost's public viewer opens is
published, nothing of the rest."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import respx
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docmost_syncd.config import DocmostSettings, Settings
from tests.conftest import BASE_URL, PASSWORD, LogCapture
from tests.docmost_double import FIXTURES, DocmostDouble
from tests.helpers import page_files, sync, tree_contents, unresolved_links

RECORDING = "docmost-0.95.0-shares"
SUMMARY = json.loads((FIXTURES / RECORDING / "summary.json").read_text(encoding="utf-8"))
# What /api/shares/for-page answered for every page: the pages the public viewer opens.
OPENED = {entry["pageId"]: entry for space in SUMMARY["published_per_for_page"].values() for entry in space}


AUTHORS_WORDS = {"Tables"}  # in "Links, Mentions and Anchors": "[Tables page](…/tables-…)"


@pytest.fixture
def shares() -> Iterator[DocmostDouble]:
    double = DocmostDouble(password=PASSWORD, recording=RECORDING)
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        router.route().mock(side_effect=double.respx_side_effect)
        yield double


def shared_settings(tmp_path: Path, publish: str = "shared") -> Settings:
    return Settings(
        docmost=DocmostSettings(url=BASE_URL, email="admin@example.com", password=PASSWORD, retries=0),
        output={"dir": tmp_path / "docs"},
        sync={"publish": publish},
    )


def published(docs: Path) -> dict[str, dict[str, Any]]:
    """page id → front matter, over every published space."""
    found = {}
    for path in page_files(docs):
        meta = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n", 2)[1])
        found[meta["docmost_page_id"]] = dict(meta, path=str(path.relative_to(docs)))
    return found


def test_shared_publishing_publishes_exactly_what_the_public_viewer_opens(
    shares: DocmostDouble, tmp_path: Path
) -> None:
    settings = shared_settings(tmp_path)
    outcome = sync(settings)
    assert not outcome.failed, [space.error for space in outcome.spaces]
    pages = published(tmp_path / "docs")
    assert set(pages) == set(OPENED)  # 5 in kitchen, 17 in eng
    for page_id, meta in pages.items():
        assert bool(meta.get("unlisted")) is (OPENED[page_id]["searchIndexing"] is False), meta["title"]
    assert unresolved_links(tmp_path / "docs") == []


SHARE_KEYS = {  # page → the key of the share that opens it (../shared's README of the recording)
    "01a246a3-1d2e-715c-a198-1c128b42f95e": "43klnxpc94",  # Layout Blocks (includeSubPages)
    "01a246a2-ca9b-713b-b4fd-ffbd98dbf3fa": "v0hfmoyf0z",  # Onboarding (includeSubPages)
    "01a246a2-cb0b-7635-9dd2-11472bf6996d": "3r5s2pfepq",  # SSO & MFA: its own share, inside Onboarding's
    "01a246a2-cc00-7c31-aac1-166798baaca0": "binoanlffe",  # Pagination, shared alone
}


def test_a_shared_site_links_each_page_to_its_public_share_page(shares: DocmostDouble, tmp_path: Path) -> None:
    """In ``shared`` mode the Docmost link opens the page's public share page (a reader has no
    login for the editor), under the nearest share, at docmost.public_url."""
    settings = shared_settings(tmp_path)
    settings.docmost.public_url = "https://wiki.example.com"
    sync(settings)
    pages = published(tmp_path / "docs")
    assert len(pages) == len(OPENED)
    for page_id, key in SHARE_KEYS.items():
        slug_id = shares.info[page_id]["slugId"]
        assert re.fullmatch(rf"https://wiki\.example\.com/share/{key}/p/([a-z0-9-]+-)?{slug_id}", pages[page_id]["custom_edit_url"])
    day1 = next(p for p, meta in pages.items() if meta["title"] == "Day 1")  # below Onboarding
    assert f"/share/{SHARE_KEYS['01a246a2-ca9b-713b-b4fd-ffbd98dbf3fa']}/p/" in pages[day1]["custom_edit_url"]
    assert all("/share/" in meta["custom_edit_url"] for meta in pages.values())


def test_a_shared_site_may_link_to_the_editor_or_to_nothing(shares: DocmostDouble, tmp_path: Path) -> None:
    settings = shared_settings(tmp_path)
    settings.output.edit_links = "editor"
    sync(settings)
    assert all(f"{BASE_URL}/s/" in meta["custom_edit_url"] for meta in published(tmp_path / "docs").values())
    settings.output.edit_links = "none"
    sync(settings)
    assert not any("custom_edit_url" in meta for meta in published(tmp_path / "docs").values())


def test_share_links_need_shared_publishing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r'edit_links = "share".*sync.publish = "shared"'):
        Settings(output={"dir": tmp_path, "edit_links": "share"})


def test_nothing_of_an_unshared_page_is_published(shares: DocmostDouble, tmp_path: Path) -> None:
    sync(shared_settings(tmp_path))
    output = b"".join(
        path.read_bytes() for path in (tmp_path / "docs").rglob("*")
        if path.is_file() and ".docmost-syncd" not in path.parts
    )  # fmt: skip
    private = [item for item in shares.items.values() if item["id"] not in OPENED]
    assert len(private) == 25
    text = output.decode("utf-8")
    for item in private:
        assert item["id"].encode() not in output, item["title"]
        assert item["slugId"].encode() not in output, item["title"]
        # Its title neither: but where an author's own words in a shared page, the plain text a
        # link to it becomes, say it ("Tables page" links to the unshared "Tables").
        if item["title"] not in AUTHORS_WORDS:
            assert item["title"] not in text, item["title"]
    # Pagination is shared alone, three levels down: it sits at its space's root, and nothing of
    # its unshared ancestors (Architecture › Backend › API Guidelines) names a folder or a label.
    pagination = published(tmp_path / "docs")["01a246a2-cc00-7c31-aac1-166798baaca0"]
    assert pagination["path"] == "eng/Pagination.md"
    for ancestor in ("Architecture", "API Guidelines"):
        assert ancestor.encode() not in b"".join(
            p.read_bytes() for p in (tmp_path / "docs").rglob("_*.json")
        ), ancestor


def test_an_unshared_page_is_gone_at_the_next_run(shares: DocmostDouble, tmp_path: Path, logs: LogCapture) -> None:
    settings = shared_settings(tmp_path)
    sync(settings)
    embeds = "01a246a3-1d16-75a6-9be5-2aea3c742598"
    assert embeds in published(tmp_path / "docs")
    shares.reset_counts()
    shares.unshare(embeds)  # Docmost does not change the page's updatedAt
    outcome = sync(settings)
    assert {space.folder: space.result for space in outcome.spaces}["kitchen"] == "published"
    assert embeds not in published(tmp_path / "docs")
    counts = {path: sum(1 for seen, _body in shares.requests if seen == path) for path, _ in shares.requests}
    assert counts.get("/api/pages/info", 0) == 0  # polling the shares costs no page request
    assert counts["/api/shares"] == 1 and counts["/api/shares/tree"] == 3  # one list, one tree per share with subpages


def test_an_unchanged_server_costs_the_listings_and_the_shares(shares: DocmostDouble, tmp_path: Path) -> None:
    settings = shared_settings(tmp_path)
    sync(settings)
    shares.reset_counts()
    outcome = sync(settings)
    assert {space.result for space in outcome.spaces} == {"unchanged"}
    assert {path for path, _body in shares.requests} <= {
        "/api/auth/login", "/api/version", "/api/spaces", "/api/pages/recent", "/api/workspace/info",
        "/api/shares", "/api/shares/tree", "/api/labels", "/api/labels/pages",
    }  # fmt: skip


def test_sharing_switched_off_for_the_workspace_publishes_nothing(
    shares: DocmostDouble, tmp_path: Path, logs: LogCapture
) -> None:
    shares.workspace_sharing_disabled = True
    outcome = sync(shared_settings(tmp_path))
    assert {space.result for space in outcome.spaces} == {"empty"}
    off = [event for event in logs.events() if event["event"] == "space.sharing_off"]
    assert sorted(event["space"] for event in off) == ["eng", "kitchen"]
    assert published(tmp_path / "docs") == {}


def test_a_server_without_shares_refuses_shared_publishing(tmp_path: Path, logs: LogCapture) -> None:
    double = DocmostDouble("0.70.3", password=PASSWORD)
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        router.route().mock(side_effect=double.respx_side_effect)
        outcome = sync(shared_settings(tmp_path))
    assert outcome.failed and outcome.error is not None
    assert "needs Docmost's public shares" in outcome.error and BASE_URL in outcome.error
    assert not (tmp_path / "docs" / "eng").exists()


def test_everything_is_published_by_default(shares: DocmostDouble, tmp_path: Path) -> None:
    sync(shared_settings(tmp_path, publish="all"))
    assert len(published(tmp_path / "docs")) == 47
    assert "/api/shares" not in {path for path, _body in shares.requests}


@pytest.mark.docusaurus
def test_the_shared_site_builds_and_an_unlisted_page_stays_out_of_search(
    shares: DocmostDouble, tmp_path: Path, kit_modules: Path
) -> None:
    from tests.sitekit import KIT, build, make_site

    settings = shared_settings(tmp_path)
    settings.output.math = "katex"
    assert not sync(settings).failed
    site = make_site(tmp_path / "kit", KIT, kit_modules)
    built = build(site, tmp_path / "docs", "mdx")
    assert built.returncode == 0, (built.stdout + built.stderr)[-4000:]
    out = site / "build-mdx"
    embeds = (out / "docs" / "kitchen" / "Embeds" / "index.html").read_text(encoding="utf-8")
    assert 'content="noindex, nofollow"' in embeds  # shared with search indexing off
    assert "/docs/kitchen/Embeds" not in (out / "sitemap.xml").read_text(encoding="utf-8")
    assert "/docs/kitchen/Layout-Blocks" in (out / "sitemap.xml").read_text(encoding="utf-8")


def test_labels_are_tags_and_a_new_label_is_published_at_the_next_run(shares: DocmostDouble, tmp_path: Path) -> None:
    settings = shared_settings(tmp_path)
    sync(settings)
    pages = published(tmp_path / "docs")
    tags = {meta["title"]: meta.get("tags") for meta in pages.values() if meta.get("tags")}
    assert tags == {"Layout Blocks": ["howto"], "Release Process": ["howto", "release-notes"], "SSO & MFA": ["security"]}
    pagination = "01a246a2-cc00-7c31-aac1-166798baaca0"
    shares.label(pagination, "api")  # Docmost does not change the page's updatedAt
    sync(settings)
    assert published(tmp_path / "docs")[pagination]["tags"] == ["api"]


def test_a_server_without_labels_writes_no_tags(routed: DocmostDouble, settings: Settings) -> None:
    assert settings.output.dir is not None
    sync(settings)  # the page-by-page recording has no labels API: 404
    assert not any("tags" in meta for meta in published(settings.output.dir).values())


def test_a_renamed_page_s_old_url_redirects_to_its_new_one(shares: DocmostDouble, tmp_path: Path) -> None:
    settings = shared_settings(tmp_path)
    sync(settings)
    onboarding = "01a246a2-ca9b-713b-b4fd-ffbd98dbf3fa"
    before = published(tmp_path / "docs")[onboarding]["path"]
    shares.rename(onboarding, "Welcome Aboard")
    sync(settings)
    after = published(tmp_path / "docs")[onboarding]["path"]
    assert (before, after) == ("eng/Onboarding/Onboarding.md", "eng/Welcome-Aboard/Welcome-Aboard.md")
    redirects = json.loads((tmp_path / "docs" / "eng" / "_redirects.json").read_text())["redirects"]
    # the page and every page below it moved: each old URL leads to the new one
    assert {"from": "eng/Onboarding", "to": "eng/Welcome-Aboard"} in redirects
    assert {"from": "eng/Onboarding/Day-1", "to": "eng/Welcome-Aboard/Day-1"} in redirects
    # unsharing forgets a page's old URLs: a redirect never names an unpublished page's path
    shares.unshare(onboarding)
    sync(settings)
    redirects = json.loads((tmp_path / "docs" / "eng" / "_redirects.json").read_text())["redirects"]
    assert not any("Onboarding" in r["from"] or "Welcome" in r["to"] for r in redirects), redirects


@pytest.mark.docusaurus
def test_a_reader_sees_the_page_facts_and_an_old_url_lands_on_the_renamed_page(
    shares: DocmostDouble, tmp_path: Path, kit_modules: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from tests.sitekit import (
        CHROMEDRIVER,
        CHROMIUM,
        CHROMIUM_MISSING,
        KIT,
        build,
        headless_chromium,
        make_site,
        serve_directory,
    )

    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip(CHROMIUM_MISSING)
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    settings = shared_settings(tmp_path)
    settings.output.math = "katex"
    sync(settings)
    release = "01a246a2-cdae-7189-937a-bbc901038e4a"  # "Release Process": shared, labels howto + release-notes
    shares.rename(release, "Shipping Releases")
    sync(settings)
    site = make_site(tmp_path / "kit", KIT, kit_modules)
    built = build(site, tmp_path / "docs", "mdx")
    assert built.returncode == 0, (built.stdout + built.stderr)[-4000:]
    info = shares.info[release]
    with serve_directory(site / "build-mdx") as url, headless_chromium(tmp_path_factory.mktemp("chromium")) as browser:
        browser.get(f"{url}/docs/eng/Release-Process/")  # the URL before the rename
        WebDriverWait(browser, 60).until(lambda d: d.current_url.rstrip("/").endswith("/docs/eng/Shipping-Releases"))
        WebDriverWait(browser, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "article h1"))
        assert browser.find_element(By.CSS_SELECTOR, "article h1").text == "Shipping Releases"
        footer = browser.find_element(By.CSS_SELECTOR, "article footer, .theme-doc-footer").text
        assert "Last updated" in footer and info["lastUpdatedBy"]["name"] in footer
        # a shared site's Docmost link opens the page's public share page (Release Process's own share)
        edit = browser.find_element(By.CSS_SELECTOR, ".theme-edit-this-page")
        assert edit.get_attribute("href") == f"{BASE_URL}/share/beglrterqo/p/shipping-releases-{info['slugId']}"
        assert edit.text == "Open in Docmost"
        tags = {a.text for a in browser.find_elements(By.CSS_SELECTOR, "article a[href*='/docs/tags/']")}
        assert tags == {"howto", "release-notes"}


SHARE_ACTIONS = ["rename", "edit", "label", "unshare", "share"]


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_incremental_shared_publishing_equals_a_full_one(data: st.DataObject, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Shares and labels change no page's updatedAt: an incremental run still ends where a full
    run into an empty folder does (but for the redirect history, see helpers.tree_contents)."""
    double = DocmostDouble(password=PASSWORD, recording=RECORDING)
    removed: list[dict[str, Any]] = []
    root = tmp_path_factory.mktemp("shared-incremental")
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        router.route().mock(side_effect=double.respx_side_effect)
        incremental = shared_settings(root / "incremental")
        assert not sync(incremental).failed
        for action in data.draw(st.lists(st.sampled_from(SHARE_ACTIONS), min_size=1, max_size=5), label="actions"):
            page = data.draw(st.sampled_from(sorted(OPENED)), label="page")
            assert double.shares is not None
            if action == "rename":
                double.rename(page, data.draw(st.sampled_from(["Renamed", "2024 Plan", "Release / Notes"]), label="title"))
            elif action == "edit":
                double.edit(page)
            elif action == "label":
                double.label(page, data.draw(st.sampled_from(["howto", "new-label"]), label="label"))
            elif action == "unshare" and double.shares:
                share = data.draw(st.sampled_from(double.shares), label="share")
                removed.append(share)
                double.unshare(share["pageId"])
            elif action == "share" and removed:
                double.shares.append(removed.pop())
            assert not sync(incremental).failed
        full = shared_settings(root / "full")
        assert not sync(full).failed
    for space in ("eng", "kitchen"):
        left, right = root / "incremental" / "docs" / space, root / "full" / "docs" / space
        assert (tree_contents(left) if left.exists() else None) == (tree_contents(right) if right.exists() else None)


def _texts(node: Any) -> list[str]:
    """Every text node of a page's content."""
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "text" and isinstance(node.get("text"), str) else []
        return own + [text for child in node.get("content") or [] for text in _texts(child)]
    return []


def test_nothing_of_an_unshared_page_stays_anywhere_under_the_output_folder(
    shares: DocmostDouble, tmp_path: Path
) -> None:
    """Published, edited (so the space has a spare holding the page), then unshared: after the
    next run no file under the output folder — the spares, the page cache's database and its
    files, the state and path history included — holds the page's id, slugId, title or the
    text of its body. (Text other published pages also hold is not the page's own.)"""
    settings = shared_settings(tmp_path)
    docs = tmp_path / "docs"
    sync(settings)
    embeds = "01a246a3-1d16-75a6-9be5-2aea3c742598"
    other = next(page["id"] for page in shares.pages_of("kitchen") if page["id"] != embeds and page["id"] in OPENED)
    shares.edit(other)
    sync(settings)
    assert (docs / ".docmost-syncd" / "kitchen_spare").is_dir()
    item, data = shares.items[embeds], shares.info[embeds]
    shares.unshare(embeds)
    sync(settings)
    everything = b"".join(path.read_bytes() for path in docs.rglob("*") if path.is_file())
    others = b"".join(path.read_bytes() for path in page_files(docs))
    body = [text for text in _texts(data.get("content")) if len(text) >= 12 and text.encode() not in others]
    assert len(body) >= 3, body  # the page's own words, to look for
    for needle in [embeds, item["slugId"], f'"{item["title"]}"', f"title: {item['title']}", *body]:
        assert needle.encode() not in everything, f"{needle!r} is still under {docs}"
