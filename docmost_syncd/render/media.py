"""Images, diagrams, video, audio, PDFs, file attachments and embeds.

Uploaded files are published next to the pages (the resolver says where) and referenced so that
Docusaurus bundles them: images and file links as markdown (its own loaders pick them up, SVG
included), players and PDF viewers as ``require()`` of the file, which webpack resolves through
Docusaurus's media and file rules. A file that cannot be had is named in plain text.
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import unquote, urlsplit

from docmost_syncd.render import jsx
from docmost_syncd.render.context import Node, RenderContext, attrs
from docmost_syncd.render.embeds import embed_url, safe_url, youtube_embed_url
from docmost_syncd.render.markdown import escape_text, link_destination

FILE_URL = re.compile(r"^/(?:api/)?files/([0-9a-fA-F-]{36})/(.+)$")
# Extensions Docusaurus's webpack rules load for require(): media and "other assets".
PLAYABLE = frozenset(
    [
        "mp4",
        "avi",
        "mov",
        "mkv",
        "mpg",
        "mpeg",
        "vob",
        "wmv",
        "m4v",
        "webm",
        "ogv",
        "wav",
        "mp3",
        "m4a",
        "aac",
        "oga",
        "flac",
    ]
)
EMBEDDABLE_DOCUMENTS = frozenset({"pdf"})
EMBED_SANDBOX = "allow-scripts allow-same-origin allow-forms allow-popups allow-downloads"
EMBED_ALLOW = "encrypted-media; clipboard-read; clipboard-write; picture-in-picture"


def _attachment(a: dict[str, object], key: str) -> tuple[str, str] | None:
    """(attachment id, file name) of an uploaded file's ``/api/files/<id>/<name>`` URL."""
    src = str(a.get(key) or "")
    match = FILE_URL.match(urlsplit(src).path)
    if not match:
        return None
    attachment_id = str(a.get("attachmentId") or match.group(1))
    return attachment_id, unquote(match.group(2))


def _source(ctx: RenderContext, a: dict[str, object], key: str = "src") -> tuple[str | None, bool]:
    """(the URL to write, whether it is a published file) for a media node; a published file's
    path is explicitly relative (``./``), as markdown links and ``require()`` both need it."""
    found = _attachment(a, key)
    if found is not None:
        path = ctx.resolver.file(*found)
        return (_relative(path) if path is not None else None), True
    return safe_url(str(a.get(key) or "")), False


def _file_name(a: dict[str, object], key: str = "src") -> str:
    found = _attachment(a, key)
    name = a.get("name") or a.get("title") or (found[1] if found else "")
    return str(name or posixpath.basename(urlsplit(str(a.get(key) or "")).path) or "file")


def _positive_int(value: object, default: int) -> int:
    """A width or height from Docmost's attributes, when it is one."""
    return int(value) if isinstance(value, int | float) and value > 0 else default


def _extension(path: str) -> str:
    return posixpath.splitext(urlsplit(path).path)[1].lstrip(".").lower()


def _relative(path: str) -> str:
    return path if path.startswith(("../", "./")) else f"./{path}"


def _box_style(a: dict[str, object], *, sized: bool = True) -> dict[str, str]:
    """Docmost's width and alignment (centre by default) for a media block."""
    style: dict[str, str] = {}
    width = a.get("width")
    if sized and isinstance(width, int | float) and width > 0:
        style["width"] = f"{int(width)}px"
        style["maxWidth"] = "100%"
    elif sized and isinstance(width, str) and jsx.css_length(width):
        style["width"] = width
    align = a.get("align") or "center"
    if align in ("center", "right"):
        if "width" in style:
            style["marginLeft"] = "auto"
            if align == "center":
                style["marginRight"] = "auto"
        else:
            style["textAlign"] = str(align)
    return style


def _missing(ctx: RenderContext, label: str) -> str:
    return escape_text(label, line_start=True)


def image(node: Node, ctx: RenderContext) -> str:
    a = attrs(node)
    url, _published = _source(ctx, a)
    alt = str(a.get("alt") or a.get("title") or "")
    if url is None:
        return _missing(ctx, alt or _file_name(a))
    picture = f"![{escape_text(alt, in_link=True)}]({link_destination(url)})"
    style = _box_style(a)
    if not style:
        return picture
    ctx.use_jsx()
    classes = "docmost-image docmost-image--sized" if "width" in style else "docmost-image"
    return jsx.block("div", {"className": classes, "style": style}, picture)


def diagram(node: Node, ctx: RenderContext) -> str:
    """draw.io and Excalidraw blocks are stored as SVG files: shown as that image."""
    a = attrs(node)
    return image({"type": "image", "attrs": {**a, "alt": a.get("title") or "diagram"}}, ctx)


def _player(node: Node, ctx: RenderContext, tag: str) -> str:
    a = attrs(node)
    url, published = _source(ctx, a)
    name = _file_name(a)
    if url is None:
        return _missing(ctx, name)
    if published and _extension(url) not in PLAYABLE:
        return f"[{escape_text(name, in_link=True)}]({link_destination(url)})"  # a download, not a player
    ctx.use_jsx()
    source = jsx.require(url) if published else url
    player = jsx.void_tag(
        tag,
        {"controls": True, "preload": "metadata", "src": source, "style": {"maxWidth": "100%"}},
    )
    return jsx.block("div", {"className": f"docmost-{tag}", "style": _box_style(a)}, player)


def video(node: Node, ctx: RenderContext) -> str:
    return _player(node, ctx, "video")


def audio(node: Node, ctx: RenderContext) -> str:
    return _player(node, ctx, "audio")


def pdf(node: Node, ctx: RenderContext) -> str:
    """Docmost shows the PDF inline: an embedded viewer, with a download link under it."""
    a = attrs(node)
    url, published = _source(ctx, a)
    name = _file_name(a)
    if url is None:
        return _missing(ctx, name)
    download = f"[{escape_text(name, in_link=True)}]({link_destination(url)})"
    if published and _extension(url) not in EMBEDDABLE_DOCUMENTS:
        return download
    ctx.use_jsx()
    viewer = jsx.open_tag(
        "object",
        {
            "data": jsx.require(url) if published else url,
            "type": "application/pdf",
            "width": "100%",
            "height": _positive_int(a.get("height"), 600),
            "title": name,
        },
    )
    return jsx.block("div", {"className": "docmost-pdf"}, f"{viewer}</object>\n\n{download}")


def attachment(node: Node, ctx: RenderContext) -> str:
    a = attrs(node)
    url, _published = _source(ctx, a, "url")
    name = _file_name(a, "url")
    if url is None:
        return "📎 " + _missing(ctx, name)
    size = a.get("size")
    suffix = f" ({_size(size)})" if isinstance(size, int) and size >= 0 else ""
    return f"📎 [{escape_text(name, in_link=True)}]({link_destination(url)}){suffix}"


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


def _iframe(ctx: RenderContext, a: dict[str, object], url: str, title: str) -> str:
    ctx.use_jsx()
    frame = jsx.void_tag(
        "iframe",
        {
            "className": "docmost-embed-frame",
            "src": url,
            "title": title,
            "width": _positive_int(a.get("width"), 640),
            "height": _positive_int(a.get("height"), 360),
            "loading": "lazy",
            "allow": EMBED_ALLOW,
            "sandbox": EMBED_SANDBOX,
            "allowFullScreen": True,
            "style": {"maxWidth": "100%", "border": "0"},
        },
    )
    return jsx.block("div", {"className": "docmost-embed", "style": _box_style(a, sized=False)}, frame)


def _not_embedded(src: str) -> str:
    """What no known provider embeds: a link to it when it is a web address, else its text."""
    url = safe_url(src)
    if url is None:
        return escape_text(src, line_start=True)
    return f"[{escape_text(src, in_link=True)}]({link_destination(url)})"


def embed(node: Node, ctx: RenderContext) -> str:
    a = attrs(node)
    src = str(a.get("src") or "")
    url, provider = embed_url(src)
    if url is None:
        return _not_embedded(src)
    return _iframe(ctx, a, url, f"{provider} embed")


def youtube(node: Node, ctx: RenderContext) -> str:
    a = attrs(node)
    src = str(a.get("src") or "")
    url = youtube_embed_url(src, a.get("start"))
    if url is None:
        return _not_embedded(src)
    return _iframe(ctx, a, url, "YouTube video")
