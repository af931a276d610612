"""Front matter written by a YAML serializer, never by string concatenation.

Titles are arbitrary text (``Spring: Boot``, ``[draft] plan``, ``2025``, ``true``, ``#3``, quotes,
emoji); PyYAML quotes whatever needs quoting, and the tests read it back with a YAML parser.
"""

from __future__ import annotations

import re

import yaml

from docmost_syncd.model import Page, safe_label

# libyaml's emitter when PyYAML has it (same output as SafeDumper, several times faster).
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_FIRST_H1 = re.compile(r"\A(?:[ \t]*\n)*#[ \t]+[^\n]*(?:\n|\Z)")


def strip_title_heading(body: str) -> str:
    """Docmost writes the title (with its ` (1)` collision suffix) as the first H1; the front
    matter title replaces it, so the page shows one correct heading."""
    return _FIRST_H1.sub("", body, count=1).lstrip("\n")


def front_matter(page: Page) -> str:
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
        fields["sidebar_label"] = f"{safe_label(page.icon)} {page.display_title}"
        fields["docmost_icon"] = safe_label(page.icon)
    dumped = yaml.dump(
        fields, Dumper=_DUMPER, allow_unicode=True, sort_keys=False, default_flow_style=False, width=10_000
    )
    return f"---\n{dumped}---\n\n"
