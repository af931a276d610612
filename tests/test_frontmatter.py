"""The page facts a docs site shows, in every page's front matter, equal to what the recorded
Docmost 0.95.0 server said of each page (/api/pages/info)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from docmost_syncd.config import Settings
from docmost_syncd.model import safe_label
from docmost_syncd.render import description
from tests.conftest import BASE_URL
from tests.docmost_double import DocmostDouble
from tests.helpers import page_files, sync


def front_matters(folder: Path) -> dict[str, dict[str, Any]]:
    found = {}
    for path in page_files(folder):
        meta = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n", 2)[1])
        found[meta["docmost_page_id"]] = meta
    return found


def test_last_update_is_the_pages_updated_at_and_last_author(routed: DocmostDouble, settings: Settings) -> None:
    assert settings.output.dir is not None
    sync(settings)
    pages = front_matters(settings.output.dir)
    assert len(pages) > 100
    for page_id, meta in pages.items():
        info = routed.info[page_id]
        assert meta["last_update"]["date"] == info["updatedAt"]
        assert meta["last_update"]["author"] == info["lastUpdatedBy"]["name"]


def test_the_edit_link_opens_the_page_in_docmost(routed: DocmostDouble, settings: Settings) -> None:
    assert settings.output.dir is not None
    sync(settings)
    spaces = {space["id"]: space["slug"] for space in routed.spaces}
    for page_id, meta in front_matters(settings.output.dir).items():
        info = routed.info[page_id]
        url = meta["custom_edit_url"]
        assert url.startswith(f"{BASE_URL}/s/{spaces[info['spaceId']]}/p/") and url.endswith(info["slugId"])
    tables = routed.page_id("kitchen", "Tables")
    assert front_matters(settings.output.dir / "kitchen")[tables]["custom_edit_url"] == (
        f"{BASE_URL}/s/kitchen/p/tables-{routed.info[tables]['slugId']}"
    )


def test_the_description_is_the_first_paragraph(routed: DocmostDouble, settings: Settings) -> None:
    assert settings.output.dir is not None
    sync(settings)
    described = 0
    for page_id, meta in front_matters(settings.output.dir).items():
        first = next(
            (n for n in (routed.info[page_id]["content"] or {}).get("content") or [] if n["type"] == "paragraph"
             and "".join(t.get("text", "") for t in n.get("content") or []).strip()),
            None,
        )  # fmt: skip
        if first is None:
            assert "description" not in meta
            continue
        described += 1
        assert 0 < len(meta["description"]) <= 160
        # as a label: backslashes drawn as ∖ (see model.safe_label)
        assert meta["description"] == safe_label(description({"type": "doc", "content": [first]}))
    assert described > 20


def test_the_edit_link_names_the_address_readers_open_docmost_at(routed: DocmostDouble, settings: Settings) -> None:
    """docmost.url is where docmost-syncd connects (in a compose file a name only the containers
    resolve); docmost.public_url is what a reader's browser opens."""
    assert settings.output.dir is not None
    settings.docmost.public_url = "https://wiki.example.com"
    sync(settings)
    tables = routed.page_id("kitchen", "Tables")
    links = {meta["custom_edit_url"] for meta in front_matters(settings.output.dir).values()}
    assert all(link.startswith("https://wiki.example.com/s/") for link in links), links
    assert front_matters(settings.output.dir / "kitchen")[tables]["custom_edit_url"] == (
        f"https://wiki.example.com/s/kitchen/p/tables-{routed.info[tables]['slugId']}"
    )


def test_authors_and_edit_links_can_be_left_out(routed: DocmostDouble, settings: Settings) -> None:
    assert settings.output.dir is not None
    settings.output.authors = False
    settings.output.edit_links = False
    sync(settings)
    for meta in front_matters(settings.output.dir).values():
        assert "author" not in meta["last_update"] and "custom_edit_url" not in meta


def test_a_long_first_paragraph_is_cut_at_a_word() -> None:
    words = "word " * 60
    cut = description({"type": "doc", "content": [{"type": "paragraph", "content": [{"type": "text", "text": words}]}]})
    assert len(cut) <= 160 and cut.endswith("word…")
