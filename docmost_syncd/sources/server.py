"""Pages from Docmost, for the build: every listed page's record (its content fetched into the
page cache only when its ``updatedAt`` changed, its facts worked out), page contents from the
cache, attachments from the cache or downloaded.

Every request to the server happens here, before or beside the renderer, never inside it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docmost_syncd.cache import PageCache, content_digest
from docmost_syncd.docmost.client import DocmostClient
from docmost_syncd.errors import NotFoundError
from docmost_syncd.log import get_logger
from docmost_syncd.model import ListedPage, PageRecord
from docmost_syncd.publish.publisher import Publisher
from docmost_syncd.publish.writer import StagingWriter
from docmost_syncd.render import RENDERER_VERSION, analyse_page
from docmost_syncd.site.index import SiteIndex
from docmost_syncd.site.layout import attachment_path


def last_author(page: dict[str, Any]) -> str | None:
    """Who changed the page last, as ``/api/pages/info`` names them (``lastUpdatedBy.name``)."""
    who = page.get("lastUpdatedBy")
    name = who.get("name") if isinstance(who, dict) else None
    return str(name).strip() or None if name else None


@dataclass
class Contents:
    listed: list[ListedPage]  # as the pages themselves said when fetched; vanished ones left out
    records: dict[str, PageRecord]
    fetched: int  # page contents requested


def page_records(
    client: DocmostClient, cache: PageCache, space_id: str, folder: str, pages: list[ListedPage]
) -> Contents:
    """Every listed page's record: from the cache when its updatedAt is the cached one, else its
    content fetched (``/api/pages/info``) and its facts worked out."""
    log = get_logger(space=folder)
    listed = {page.id: page for page in pages}
    known = cache.records(space_id, RENDERER_VERSION)
    records: dict[str, PageRecord] = {}
    missing: list[ListedPage] = []
    changed: set[str] = set()
    for page in listed.values():
        record = known.get(page.id)
        if record is not None and record.updated_at == page.updated_at:
            records[page.id] = record
            continue
        changed.add(page.id)
        content = cache.content(page.id, page.updated_at)
        author_known, author = cache.author(page.id, page.updated_at)
        if content is None or not author_known:
            missing.append(page)
        else:  # cached, but its facts are from an older renderer: no request needed
            records[page.id] = PageRecord(page.updated_at, content_digest(content), analyse_page(content), author)

    def fetch(page: ListedPage) -> tuple[ListedPage, PageRecord] | None:
        try:
            data = client.page(page.id)
        except NotFoundError:
            return None  # trashed or deleted since it was listed: not published
        fresh = ListedPage.from_api(data) or page
        content, author = data.get("content"), last_author(data)
        digest = cache.store(page.id, fresh.updated_at, content, author)
        return fresh, PageRecord(fresh.updated_at, digest, analyse_page(content), author)

    vanished = 0
    fetched = client.each([functools.partial(fetch, page) for page in missing])
    for page, result in zip(missing, fetched, strict=True):
        if result is None:
            del listed[page.id]
            vanished += 1
        else:
            listed[page.id], records[page.id] = result
    if vanished:
        log.info(
            "space.pages_vanished", count=vanished, reason="trashed or deleted while this run read the space"
        )
    stale = set(known) - set(records)
    if changed or stale:
        cache.store_records(space_id, records, changed, RENDERER_VERSION)
        cache.forget(stale)  # pages no longer in the space
    return Contents(list(listed.values()), records, len(missing))




@dataclass
class ServerSource:
    """Pages of the server: contents from the page cache (a damaged or missing entry of this
    space is fetched again, never fatal), attachments from the cache or downloaded."""

    client: DocmostClient
    publisher: Publisher
    cache: PageCache
    records: dict[str, PageRecord]  # of the space being built
    index: SiteIndex

    def content(self, page_id: str) -> Any:
        indexed = self.index.pages.get(page_id)
        cache = self.cache
        content = cache.content(page_id, indexed.updated_at or "") if indexed else None
        if content is None and page_id in self.records:
            data = self.client.page(page_id)
            content = data.get("content")
            updated_at = str(data.get("updatedAt") or self.records[page_id].updated_at)
            cache.store(page_id, updated_at, content, last_author(data))
        return content

    def place_files(self, writer: StagingWriter, wanted: dict[str, str], warnings: list[str]) -> dict[str, str]:
        return _place_files(self.client, self.cache, writer, wanted, warnings)


def _place_files(
    client: DocmostClient,
    cache: PageCache,
    writer: StagingWriter,
    wanted: dict[str, str],
    warnings: list[str],
) -> dict[str, str]:
    """Put the attachments the space shows into the build; their published paths by attachment
    id. One the spare or the published copy holds is kept or linked from there, one in the cache
    is linked from it (ids are immutable: neither is fetched again), the rest are downloaded; a
    file the server no longer has is left out."""
    placed: dict[str, str] = {}
    to_fetch: list[tuple[str, str, str, str]] = []  # attachment id, file name, path, key
    for attachment_id, file_name in sorted(wanted.items()):
        path, key = attachment_path(attachment_id, file_name), f"attachment:{attachment_id}"
        cached = None if writer.reuse(path, key) else cache.file(attachment_id)
        if cached is not None:
            writer.link(path, cached[0], key, cached[1])
        if path in writer.manifest:
            placed[attachment_id] = path
        else:
            to_fetch.append((attachment_id, file_name, path, key))

    def fetch(attachment_id: str, file_name: str) -> tuple[Path, str] | None:
        destination = cache.file_destination(attachment_id)
        try:
            client.download_file(attachment_id, file_name, destination)
        except NotFoundError as exc:
            warnings.append(f"attachment {attachment_id}/{file_name} is gone from the server: {exc}")
            return None
        return cache.keep_file(attachment_id, file_name, destination)

    fetched = client.each([functools.partial(fetch, item[0], item[1]) for item in to_fetch])
    for (attachment_id, _file_name, path, key), result in zip(to_fetch, fetched, strict=True):
        if result is not None:
            writer.link(path, result[0], key, result[1])
            placed[attachment_id] = path
    return placed


