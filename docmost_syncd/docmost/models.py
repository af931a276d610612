"""The shapes docmost-syncd reads from Docmost's API (only the fields it uses)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Space:
    id: str
    name: str
    slug: str
    role: str | None = None

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> Space:
        membership = item.get("membership") or {}
        return cls(
            id=str(item["id"]),
            name=str(item.get("name") or item.get("slug") or item["id"]),
            slug=str(item.get("slug") or ""),
            role=membership.get("role"),
        )


@dataclass(frozen=True, slots=True)
class TreePage:
    """One page of a space's live tree, as the sidebar API lists it."""

    id: str
    slug_id: str
    title: str | None
    icon: str | None
    position: str
    parent_id: str | None
    has_children: bool

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> TreePage:
        return cls(
            id=str(item["id"]),
            slug_id=str(item.get("slugId") or ""),
            title=item.get("title"),
            icon=item.get("icon"),
            position=str(item.get("position") or ""),
            parent_id=item.get("parentPageId"),
            has_children=bool(item.get("hasChildren")),
        )


def sibling_order(position: str, page_id: str) -> tuple[bytes, str]:
    """Docmost orders siblings by ``position COLLATE "C"`` then id: compare positions byte-wise."""
    return (position.encode("utf-8"), page_id)
