"""Links and attachment references, rewritten to relative paths of the published files.

Docmost writes page links three ways: relative and percent-encoded to the ZIP file
(``C%2B%2B%20%26%20Java.md``, ``%28 %29`` included), absolute to the server
(``<url>/s/<space>/p/<slug>-<slugId>``) and bare URLs; attachments as ``files/<id>/<name>``
(relative, unencoded) or ``/api/files/<id>/<name>``. Every form is resolved by page slugId, ZIP
entry or attachment id — maps, never searches. What cannot be resolved becomes plain text with a
warning, so the published site never carries a broken link.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from docmost_syncd.archive.space import ATTACHMENT_PATH
from docmost_syncd.model import PAGE_URL, Attachment, Page, SpaceModel
from docmost_syncd.postprocess.layout import relative_link
from docmost_syncd.postprocess.markdown import map_prose

_LINK = re.compile(
    r"(?P<bang>!?)\[(?P<text>(?:\\.|[^\[\]\\]|\[(?:\\.|[^\[\]\\])*\])*)\]"
    r"\((?P<dest><[^<>\n]*>|(?:\\.|[^\s()\\]|\((?:\\.|[^\s()\\])*\))*)"
    r"(?P<title>\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"
    r"|<(?P<auto>https?://[^\s<>]+)>"
    r"|(?P<bare>(?<![\w/(\[\"'=])https?://[^\s<>()\[\]\"']+)"
    r"|\b(?P<attr>src|href)=(?P<q>[\"'])(?P<attr_value>[^\"'<>]*)(?P=q)"
)


@dataclass
class LinkIndex:
    """What links can point at: this space's pages and attachments."""

    model: SpaceModel
    server_url: str | None = None
    server_host: str | None = None
    by_slug_id: dict[str, Page] = field(default_factory=dict)
    by_location: dict[tuple[str, ...], Page] = field(default_factory=dict)  # see Page.location
    by_location_nfc: dict[tuple[str, ...], list[Page]] = field(default_factory=dict)
    used_assets: set[str] = field(default_factory=set)  # attachment paths some page links to

    @classmethod
    def build(cls, model: SpaceModel, server_url: str | None) -> LinkIndex:
        host = urlsplit(server_url).netloc if server_url else None
        url = server_url.rstrip("/") if server_url else None
        index = cls(model=model, server_url=url, server_host=host)
        for page in model.walk():
            if page.slug_id:
                index.by_slug_id[page.slug_id] = page
            if page.location:
                index.by_location[page.location] = page
                index.by_location_nfc.setdefault(_nfc(page.location), []).append(page)
        return index

    def page_at(self, location: tuple[str, ...]) -> Page | None:
        """The page an export link names: exactly, else the one page equal but for Unicode
        normalisation. A location two pages could share is nobody's."""
        exact = self.by_location.get(location)
        if exact is not None:
            return exact
        candidates = self.by_location_nfc.get(_nfc(location), [])
        return candidates[0] if len(candidates) == 1 else None


def _nfc(location: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(unicodedata.normalize("NFC", part) for part in location)


def _follow(base: tuple[str, ...], relative: str) -> tuple[str, ...] | None:
    """A relative link from a page at ``base`` (its location) to a location; each segment is
    decoded on its own, so a title's ``%2F`` stays inside its segment, as Docmost wrote it."""
    location = list(base[:-1])
    for part in relative.split("/"):
        segment = unquote(part)
        if segment in ("", "."):
            continue
        if segment == "..":
            if not location:
                return None
            location.pop()
        else:
            location.append(segment)
    return tuple(location)


@dataclass
class _Target:
    path: str | None  # published path relative to the space folder; None = unresolvable
    what: str  # "page" | "attachment" | "external"
    title: str | None = None


def _resolve(index: LinkIndex, page: Page, raw: str) -> _Target:
    dest = raw.strip()
    if dest.startswith("<") and dest.endswith(">"):
        dest = dest[1:-1]
    parts = urlsplit(dest)
    path = unquote(parts.path)
    attachment_match = ATTACHMENT_PATH.search(path)
    if attachment_match and (not parts.netloc or parts.netloc == index.server_host or "/api/files/" in path):
        attachment_id, _file_name = attachment_match.group(1), attachment_match.group(2)
        attachment: Attachment | None = index.model.attachments.get(attachment_id)
        if attachment is None:
            return _Target(None, "attachment")
        index.used_assets.add(attachment.path)
        return _Target(attachment.path, "attachment")
    page_match = PAGE_URL.match(parts.path)
    if page_match and not parts.query:
        target = index.by_slug_id.get(page_match.group("slug_id"))
        if target is not None:
            return _Target(target.path, "page", target.display_title)
        # A dead link into this Docmost: relative, on the configured host, or naming this space
        # (Docmost writes its APP_URL, which need not be the URL docmost-syncd uses).
        other_space = page_match.group("space")
        internal = (
            not parts.netloc or index.server_host in (None, parts.netloc) or other_space == index.model.slug
        )
        return _Target(None, "page") if internal else _Target(dest, "external")
    if not dest:
        return _Target(None, "empty")
    if dest.startswith("#"):
        return _Target(page.path, "page", page.display_title)  # a heading of this very page
    if parts.scheme or parts.netloc:
        return _Target(dest, "external")
    if dest.startswith("/"):
        # A server path (Docmost writes its own routes relative): send readers to the server.
        return (
            _Target(index.server_url + dest, "external") if index.server_url else _Target(None, "server path")
        )
    if path.lower().endswith((".md", ".html")):
        location = _follow(page.location, parts.path)
        target = index.page_at(location) if location else None
        return _Target(target.path if target else None, "page", target.display_title if target else None)
    # Any other relative path would make Docusaurus look for a file that was never published.
    return _Target(None, "file")


def _plain(text: str) -> str:
    return text.strip() or "link"


def rewrite_links(body: str, page: Page, index: LinkIndex, warnings: list[str]) -> str:
    """Rewrite every link and attachment reference in the prose of one page body."""
    return map_prose(body, lambda chunk: rewrite_links_in_prose(chunk, page, index, warnings))


def rewrite_links_in_prose(chunk: str, page: Page, index: LinkIndex, warnings: list[str]) -> str:
    """Rewrite the links of one prose segment (code segments never reach this function)."""

    def replace(match: re.Match[str]) -> str:
        if match.group("attr"):
            target = _resolve(index, page, match.group("attr_value"))
            if target.path is None:
                warnings.append(f"unresolved {target.what} reference {match.group('attr_value')!r}")
                return match.group(0)
            # External targets keep their URL, except server paths, which _resolve made absolute.
            new = target.path if target.what == "external" else relative_link(page.path, target.path)
            return f"{match.group('attr')}={match.group('q')}{new}{match.group('q')}"
        raw = match.group("dest") or match.group("auto") or match.group("bare") or ""
        target = _resolve(index, page, raw)
        if "#" in raw and target.what == "page" and target.path is not None:
            # A markdown export keeps no heading ids: Docmost's anchor names no heading here.
            warnings.append(f"link {raw!r} kept without its anchor: the export carries no heading ids")
        if match.group("auto") or match.group("bare"):
            if target.what == "external":
                return f"[{raw}]({raw})" if match.group("auto") else match.group(0)
            if target.path is None:
                warnings.append(f"link to a page that no longer exists: {raw}")
                return _unlinked_url(raw)
            return f"[{_escape_text(target.title or raw)}]({relative_link(page.path, target.path)})"
        text = match.group("text")
        if target.what == "empty":
            warnings.append(
                f"empty link (text {text!r}); {'dropped' if not text.strip() else 'kept as plain text'}"
            )
            return text.strip()
        if target.what == "external":
            if target.path != raw.strip("<>").strip():
                return f"{match.group('bang')}[{text}]({target.path}{match.group('title') or ''})"
            return match.group(0)
        if target.path is None:
            warnings.append(f"unresolved {target.what} link {raw!r} (text {text!r}); kept as plain text")
            return _plain(text)
        title = match.group("title") or ""
        return f"{match.group('bang')}[{text}]({relative_link(page.path, target.path)}{title})"

    return _LINK.sub(replace, chunk)


def _unlinked_url(url: str) -> str:
    """A dead internal URL as inline code: readable, and no longer a link GFM would autolink."""
    return f"`{url}`"


def _escape_text(text: str) -> str:
    return re.sub(r"([\\\[\]`*_])", r"\\\1", text)
