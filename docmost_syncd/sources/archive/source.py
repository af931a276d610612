"""Pages of one export ZIP for the build ``sync`` uses: listed as the server lists them (from
``docmost-metadata.json``), their contents the editor's JSON (``nodes.py`` parses Docmost's
markdown), their attachments copied out of the ZIP.

The export links pages by their place in the ZIP (relative and percent-encoded) and files as
``files/<id>/<name>``; ``link_target`` turns both into the URLs the server's JSON holds, so the
one resolver of ``site``'s index answers them for both commands."""

from __future__ import annotations

import json
import unicodedata
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from docmost_syncd.cache import content_digest
from docmost_syncd.log import get_logger
from docmost_syncd.model import Attachment, ListedPage, Page, PageRecord, Space
from docmost_syncd.publish.writer import StagingWriter
from docmost_syncd.render import analyse_page
from docmost_syncd.site.frontmatter import strip_title_heading
from docmost_syncd.site.layout import attachment_path
from docmost_syncd.sources.archive.nodes import (
    attachment_url,
    html_page_content,
    is_html_page,
    page_content,
    repair_tables,
)
from docmost_syncd.sources.archive.reader import SafeArchive, unquote_segment
from docmost_syncd.sources.archive.space import model_from_archive

Location = tuple[str, ...]


def _nfc(location: Location) -> Location:
    return tuple(unicodedata.normalize("NFC", part) for part in location)


def _follow(base: Location, relative: str) -> Location | None:
    """A relative link from a page at ``base`` to a location; each segment is decoded on its own,
    so a title's ``%2F`` stays inside its segment, as Docmost wrote it."""
    location = list(base[:-1])
    for part in relative.split("/"):
        segment = unquote_segment(part)
        if segment in ("", "."):
            continue
        if segment == "..":
            if not location:
                return None
            location.pop()
        else:
            location.append(segment)
    return tuple(location)


class ArchiveSource:
    def __init__(self, archive: SafeArchive, space: Space, folder: str) -> None:
        self.archive = archive
        model = model_from_archive(archive, space.id, space.name, folder)
        self.pages: dict[str, Page] = {page.id: page for page in model.walk()}
        self.attachments: dict[str, Attachment] = model.attachments
        self._parsed: dict[str, str] = {}  # page id → its content as JSON text
        self._by_location: dict[Location, Page] = {}
        self._by_nfc: dict[Location, list[Page]] = {}
        for page in self.pages.values():
            if page.location:
                self._by_location[page.location] = page
                self._by_nfc.setdefault(_nfc(page.location), []).append(page)

    def listed(self) -> list[ListedPage]:
        return [
            ListedPage(page.id, page.slug_id, page.title, page.icon, page.position, page.parent_id, page.updated_at or "")
            for page in self.pages.values()
        ]

    def records(self) -> dict[str, PageRecord]:
        """Every page's record, its facts worked out from its parsed content. Each page is parsed
        once: its content is kept as compact JSON text (a tenth of the objects' memory) for the
        renderer, which reads it back faster than the page is parsed again."""
        records = {}
        for page_id, page in self.pages.items():
            content = self._parse(page)
            self._parsed[page_id] = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
            records[page_id] = PageRecord(page.updated_at or "", content_digest(content), analyse_page(content))
        return records

    def _page_at(self, location: Location) -> Page | None:
        """The page an export link names: exactly, else the one page equal but for Unicode
        normalisation. A location two pages could share is nobody's."""
        exact = self._by_location.get(location)
        if exact is not None:
            return exact
        candidates = self._by_nfc.get(_nfc(location), [])
        return candidates[0] if len(candidates) == 1 else None

    def link_target(self, page: Page, destination: str) -> str:
        """An export's link destination as the server's JSON would hold it."""
        destination = destination.strip()
        if destination.startswith("<") and destination.endswith(">"):
            destination = destination[1:-1]
        uploaded = attachment_url(destination)
        parts = urlsplit(destination)
        if uploaded is not None and (not parts.netloc or "/api/files/" in parts.path):
            return uploaded
        if destination.startswith("#") and page.slug_id:
            return f"/p/{page.slug_id}{destination}"  # a heading of its own
        if not parts.scheme and not parts.netloc and parts.path.lower().endswith((".md", ".html")):
            location = _follow(page.location or (), parts.path)
            target = self._page_at(location) if location else None
            if target is not None and target.slug_id:
                return f"/p/{target.slug_id}" + (f"#{parts.fragment}" if parts.fragment else "")
        return destination

    # ---- the build's PageSource ---------------------------------------------------------------

    def content(self, page_id: str) -> Any:
        parsed = self._parsed.get(page_id)
        return json.loads(parsed) if parsed is not None else self._parse(self.pages[page_id])

    def _parse(self, page: Page) -> Any:
        if page.source is None:
            return None
        text = self.archive.read_text(page.source)
        if is_html_page(page.source):  # the editor's own HTML
            return html_page_content(text, partial(self.link_target, page))
        markdown, repaired = repair_tables(strip_title_heading(text))
        if repaired:
            get_logger().warning(
                "convert.table_repaired", page=page.display_title, entry=page.source, tables=repaired,
                detail="the export wrote a table's delimiter row malformed; it is published as a table",
            )  # fmt: skip
        return page_content(markdown, partial(self.link_target, page))

    def place_files(self, writer: StagingWriter, wanted: dict[str, str], warnings: list[str]) -> dict[str, str]:
        """The attachments the pages show, copied out of the ZIP; one the export does not hold
        (exported without attachments) is left out, and its references become text."""
        placed: dict[str, str] = {}
        for attachment_id, file_name in sorted(wanted.items()):
            attachment = self.attachments.get(attachment_id) or self.attachments.get(attachment_id.lower())
            if attachment is None or attachment.entry is None:
                continue
            path = attachment_path(attachment_id, file_name)
            if path not in writer.manifest:
                writer.stream(path, partial(self.archive.copy_to, attachment.entry))
            placed[attachment_id] = path
        return placed
