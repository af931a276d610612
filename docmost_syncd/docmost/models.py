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
class ListedPage:
    """One live page as ``/api/pages/recent`` lists it: where it sits, and when it last changed
    (every edit, rename and move bumps ``updatedAt``)."""

    id: str
    slug_id: str
    title: str | None
    icon: str | None
    position: str
    parent_id: str | None
    updated_at: str

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> ListedPage | None:
        """None for an item that is not a live page (no id or update time, or trashed)."""
        if not item.get("id") or not item.get("updatedAt") or item.get("deletedAt"):
            return None
        return cls(
            id=str(item["id"]),
            slug_id=str(item.get("slugId") or ""),
            title=item.get("title"),
            icon=item.get("icon") or None,
            position=str(item.get("position") or ""),
            parent_id=item.get("parentPageId") or None,
            updated_at=str(item["updatedAt"]),
        )

    def fingerprint(self) -> list[str | None]:
        """Everything of the listing that shapes published files."""
        return [self.id, self.slug_id, self.title, self.icon, self.position, self.parent_id, self.updated_at]
