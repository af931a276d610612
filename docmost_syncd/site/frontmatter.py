"""Front matter written by a YAML serializer, never by string concatenation.

Titles are arbitrary text (``Spring: Boot``, ``[draft] plan``, ``2025``, ``true``, ``#3``, quotes,
emoji); PyYAML quotes whatever needs quoting, and the tests read it back with a YAML parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

import yaml

from docmost_syncd.model import Page, safe_label

# libyaml's emitter when PyYAML has it (same output as SafeDumper, several times faster).
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_FIRST_H1 = re.compile(r"\A(?:[ \t]*\n)*#[ \t]+[^\n]*(?:\n|\Z)")


def strip_title_heading(body: str) -> str:
    """Docmost writes the title (with its ` (1)` collision suffix) as the first H1; the front
    matter title replaces it, so the page shows one correct heading."""
    return _FIRST_H1.sub("", body, count=1).lstrip("\n")


@dataclass(frozen=True)
class PageExtras:
    """What front matter says of a page beyond its place: from its content and from Docmost."""

    description: str = ""
    edit_url: str | None = None  # the page in Docmost (custom_edit_url)
    authors: bool = True  # name who changed it last (last_update.author)


def docmost_page_url(docmost_url: str, space_slug: str, title: str | None, slug_id: str, share_key: str = "") -> str:
    """The page in Docmost: its editor ``<url>/s/<space slug>/p/<title slug>-<slugId>``, or with a
    share key the public page of that share ``<url>/share/<key>/p/<title slug>-<slugId>``, which a
    reader without a login can open (the title part is decorative, Docmost finds a page by its
    slugId; Korean titles have none)."""
    slug = re.sub(r"[^a-z0-9]+", "-", (title or "").lower()).strip("-")[:70].strip("-")
    where = f"share/{quote(share_key)}" if share_key else f"s/{quote(space_slug)}"
    return f"{docmost_url}/{where}/p/{slug + '-' if slug else ''}{slug_id}"


def front_matter(page: Page, facts: PageExtras | None = None) -> str:
    facts = facts or PageExtras()
    fields: dict[str, object] = {
        "title": page.display_title,
        "sidebar_position": page.sidebar_position,
        "docmost_page_id": page.id,
        "docmost_slug_id": page.slug_id,
    }
    if page.unlisted:
        fields["unlisted"] = True  # its Docmost share keeps search engines away
    if page.icon:
        # The sidebar shows the page's emoji the way Docmost's sidebar does.
        fields["sidebar_label"] = page.sidebar_label
        fields["docmost_icon"] = safe_label(page.icon)
    if facts.description:
        fields["description"] = safe_label(facts.description)
    if page.updated_at:
        last_update: dict[str, str] = {"date": page.updated_at}
        if facts.authors and page.author:
            last_update["author"] = safe_label(page.author)
        fields["last_update"] = last_update
    if facts.edit_url:
        fields["custom_edit_url"] = facts.edit_url
    if page.tags:
        fields["tags"] = [safe_label(tag) for tag in page.tags]
    dumped = yaml.dump(
        fields, Dumper=_DUMPER, allow_unicode=True, sort_keys=False, default_flow_style=False, width=10_000
    )
    return f"---\n{dumped}---\n\n"
