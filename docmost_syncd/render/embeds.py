"""The URL an embed shows, as Docmost's editor computes it (``embed-provider.ts``,
``getEmbedUrlAndProvider``): the stored ``src`` is what the user pasted; the iframe loads the
provider's embed URL. Only the known providers' http(s) embed URLs are ever embedded: anything
else is written as a link to what the user pasted."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

_Provider = tuple[str, re.Pattern[str], Callable[[re.Match[str], str], str]]


def _loom(match: re.Match[str], url: str) -> str:
    return url if "/embed/" in url else f"https://loom.com/embed/{match.group(1)}"


def _airtable(_match: re.Match[str], url: str) -> str:
    return url if "/embed/" in url else "https://airtable.com/embed/" + url.split("airtable.com/", 1)[1]


def _miro(match: re.Match[str], url: str) -> str:
    if "/live-embed/" in url:
        return url
    return (
        f"https://miro.com/app/live-embed/{match.group(2)}"
        "?embedMode=view_only_without_ui&autoplay=true&embedSource=docmost"
    )


def _youtube(match: re.Match[str], url: str) -> str:
    return url if "/embed/" in url else f"https://www.youtube-nocookie.com/embed/{match.group(5)}"


def _vimeo(match: re.Match[str], url: str) -> str:
    hash_ = match.group(5) or next(iter(parse_qs(urlsplit(url).query).get("h") or []), None)
    base = f"https://player.vimeo.com/video/{match.group(4)}"
    return f"{base}?h={hash_}" if hash_ else base


PROVIDERS: list[_Provider] = [
    ("loom", re.compile(r"^https?://(?:www\.)?loom\.com/(?:share|embed)/([\da-zA-Z]+)/?"), _loom),
    ("airtable", re.compile(r"^https://(www.)?airtable.com/([a-zA-Z0-9]{2,})/.*"), _airtable),
    (
        "figma",
        re.compile(
            r"^https://[\w.-]+\.?figma.com/(file|proto|board|design|slides|deck)/([0-9a-zA-Z]{22,128})"
        ),
        lambda _m, url: f"https://www.figma.com/embed?url={url}&embed_host=docmost",
    ),
    ("figma", re.compile(r"^https://(?:www\.)?figma\.com/embed\?"), lambda _m, url: url),  # already its embed URL
    ("typeform", re.compile(r"^(https?:)?(//)?[\w.]+\.typeform\.com/to/.+"), lambda _m, url: url),
    ("miro", re.compile(r"^https://(www\.)?miro\.com/app/(?:board|live-embed)/([\w-]+=)"), _miro),
    (
        "youtube",
        re.compile(
            r"^((?:https?:)?//)?((?:www|m|music)\.)?((?:youtube\.com|youtu.be))"
            r"(/(?:[\w\-]+\?v=|embed/|v/)?)([\w\-]+)(\S+)?$"
        ),
        _youtube,
    ),
    (
        "vimeo",
        re.compile(
            r"^(https:)?//(?:www\.|player\.)?vimeo.com/(?:channels/(?:\w+/)?|groups/([^/]*)/videos/|"
            r"album/(\d+)/video/|video/|)(\d+)(?:/([\da-zA-Z]+))?"
        ),
        _vimeo,
    ),
    ("framer", re.compile(r"^https://(www\.)?framer\.com/embed/([\w-]+)"), lambda _m, url: url),
    (
        "gdrive",
        re.compile(r"^((?:https?:)?//)?((?:www|m)\.)?(drive\.google\.com)/file/d/([a-zA-Z0-9_-]+)/.*$"),
        lambda m, _url: f"https://drive.google.com/file/d/{m.group(4)}/preview",
    ),
    (
        "gsheets",
        re.compile(
            r"^((?:https?:)?//)?((?:www|m)\.)?(docs\.google\.com)/spreadsheets/d/([a-zA-Z0-9_-]+)/.*$"
        ),
        lambda _m, url: url,
    ),
]


def safe_url(url: str) -> str | None:
    """An http(s) URL to load, or None (``javascript:``, ``data:`` and the like are never written)."""
    url = url.strip()
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def embed_url(src: str) -> tuple[str | None, str]:
    """(the URL the iframe loads, the provider's name) for an embed node's ``src``; (None, "")
    when no known provider makes it."""
    for name, pattern, make in PROVIDERS:
        match = pattern.match(src)
        if match:
            return safe_url(make(match, src)), name
    return None, ""


_YOUTUBE_ID = re.compile(
    r"(?:youtu\.be/|youtube(?:-nocookie)?\.com/(?:embed/|v/|shorts/|watch\?(?:.*&)?v=))([\w-]{6,})"
)


def youtube_embed_url(src: str, start: object = None) -> str | None:
    """The tiptap YouTube node's iframe URL (``https://www.youtube.com/embed/<id>``)."""
    match = _YOUTUBE_ID.search(src)
    if not match:
        return None
    url = f"https://www.youtube.com/embed/{match.group(1)}"
    return f"{url}?start={start}" if isinstance(start, int) and start > 0 else url
