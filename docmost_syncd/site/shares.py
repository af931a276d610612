"""What ``sync.publish = "shared"`` publishes: the pages Docmost shares publicly, as its public
viewer opens them.

A share opens its page, and with ``includeSubPages`` every page below it that Docmost's share tree
lists (restricted pages and their subtrees are not in it). Where shares nest, the nearest one
decides (Docmost's ``/api/shares/for-page`` answers with it): a page under a share whose search
indexing is off is published ``unlisted``. A shared page whose parent is not shared sits at the
root of its space's folder: nothing of the unshared parent, not even its title, is published.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from docmost_syncd.model import ListedPage


def _levels_up(page_id: str, ancestor: str, parents: Mapping[str, str | None]) -> int | None:
    """How many levels ``ancestor`` is above ``page_id`` (0: the page itself); None if not above it."""
    level, seen = 0, set[str]()
    current: str | None = page_id
    while current is not None and current not in seen:
        if current == ancestor:
            return level
        seen.add(current)
        current = parents.get(current)
        level += 1
    return None


@dataclass(frozen=True, slots=True)
class SharedPage:
    """How the nearest share opens a page."""

    indexed: bool  # search engines may index it
    key: str  # the share's key: Docmost's public page is <url>/share/<key>/p/<slug>


def shared_pages(
    listed: Iterable[ListedPage], shares: Iterable[dict[str, Any]], subpages: Mapping[str, set[str]]
) -> dict[str, SharedPage]:
    """Page id → how its nearest share opens it, for every page a share opens."""
    parents = {page.id: page.parent_id for page in listed}
    nearest: dict[str, tuple[int, SharedPage]] = {}
    for share in shares:
        root = str(share.get("pageId") or "")
        if root not in parents:
            continue  # trashed, or not readable by this login
        opened = {root} | (subpages.get(str(share.get("id")), set()) if share.get("includeSubPages") else set())
        for page_id in opened:
            level = _levels_up(page_id, root, parents) if page_id in parents else None
            if level is not None and (page_id not in nearest or level < nearest[page_id][0]):
                opening = SharedPage(share.get("searchIndexing") is not False, str(share.get("key") or ""))
                nearest[page_id] = (level, opening)
    return {page_id: opening for page_id, (_level, opening) in nearest.items()}


def published_listing(listed: Iterable[ListedPage], shared: Mapping[str, SharedPage]) -> list[ListedPage]:
    """The shared pages only; one whose parent is not shared moves to the space's root."""
    return [
        page if page.parent_id is None or page.parent_id in shared else replace(page, parent_id=None)
        for page in listed
        if page.id in shared
    ]
