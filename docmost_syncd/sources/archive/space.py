"""The space model of one export ZIP (``convert``): the tree from ``docmost-metadata.json``,
titles from each file's first H1 (the ``<title>`` of the HTML export), bodies left in the ZIP until
the writer reads them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from docmost_syncd.errors import BuildError
from docmost_syncd.log import get_logger
from docmost_syncd.model import Attachment, Page, SpaceModel, build_tree
from docmost_syncd.site.frontmatter import strip_title_heading
from docmost_syncd.sources.archive.nodes import html_page, is_html_page
from docmost_syncd.sources.archive.reader import SafeArchive, decode_metadata_key, key_segments

ATTACHMENT_PATH = re.compile(r"(?:^|/)files/([0-9a-fA-F-]{36})/([^/]+)$")
_H1 = re.compile(r"^#[ \t]+(.+?)[ \t]*#*[ \t]*$")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")


def unescape_markdown(text: str) -> str:
    """Undo Turndown's escaping of a title in the H1 (``\\[v2\\]`` → ``[v2]``, ``&lt;`` → ``<``)."""
    text = _MD_ESCAPE.sub(r"\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _first_h1(text: str) -> str | None:
    for line in text.splitlines():
        if not line.strip():
            continue
        match = _H1.match(line)
        return unescape_markdown(match.group(1)) if match else None
    return None


def _index_attachments(archive: SafeArchive) -> dict[str, Attachment]:
    """Attachment id → one ZIP copy (Docmost stores a copy per folder that references it)."""
    found: dict[str, Attachment] = {}
    for name in archive.names():
        match = ATTACHMENT_PATH.search(name)
        if match and match.group(1) not in found:
            found[match.group(1)] = Attachment(id=match.group(1), file_name=match.group(2), entry=name)
    return found


def _entry_finder(archive: SafeArchive) -> Callable[[str], str | None]:
    """The ZIP entry of a decoded metadata key: the exact name, else the one name that equals it
    but for Unicode normalisation. Two entries that differ only in it (NFC and NFD twins) each
    have their own exact key; one that two keys could claim is nobody's."""
    by_nfc: dict[str, list[str]] = {}
    for entry in archive.files:
        by_nfc.setdefault(unicodedata.normalize("NFC", entry), []).append(entry)

    def find(decoded: str) -> str | None:
        if decoded in archive.files:
            return None if decoded in archive.ambiguous else decoded
        candidates = by_nfc.get(unicodedata.normalize("NFC", decoded), [])
        return candidates[0] if len(candidates) == 1 and candidates[0] not in archive.ambiguous else None

    return find


def model_from_archive(archive: SafeArchive, space_id: str, name: str, folder: str) -> SpaceModel:
    """Every page of the metadata whose entry is in the ZIP, whatever its name holds."""
    metadata = archive.metadata()
    if metadata is None:
        raise BuildError(
            f"{archive.path.name} has no docmost-metadata.json (Docmost older than 0.25); "
            "convert needs it to know the page tree"
        )
    key_to_id = {
        key: str(info["pageId"])
        for key, info in metadata["pages"].items()
        if isinstance(info, dict) and info.get("pageId")
    }
    log = get_logger(space=folder)
    find = _entry_finder(archive)
    pages: list[Page] = []
    for key, page_id in key_to_id.items():
        info = metadata["pages"][key]
        entry = find(decode_metadata_key(key))
        if entry is None:
            log.warning(
                "convert.page_missing", page_id=page_id, key=key,
                detail="listed in docmost-metadata.json but not in the ZIP (Docmost lost it); not published",
            )  # fmt: skip
            continue
        text = archive.read_text(entry)
        if is_html_page(entry):
            html_title, body = html_page(text)
            title = html_title or key_segments(key)[-1].removesuffix(".html")
            empty = not any(not isinstance(item, str) or item.strip() for item in body)
        else:
            title = _first_h1(text) or key_segments(key)[-1].removesuffix(".md")
            empty = not strip_title_heading(text).strip()
        parent_key = info.get("parentPath")
        pages.append(
            Page(
                id=page_id,
                slug_id=str(info.get("slugId") or ""),
                title=title,
                icon=info.get("icon"),
                position=str(info.get("position") or ""),
                parent_id=key_to_id.get(parent_key) if parent_key else None,
                updated_at=info.get("updatedAt"),
                source=entry,
                location=key_segments(key),
                empty=empty,
            )
        )
    model = build_tree(SpaceModel(id=space_id, name=name, slug=folder, folder=folder), pages)
    model.attachments = _index_attachments(archive)
    log.debug("archive.read", pages=len(pages), attachments=len(model.attachments))
    return model
