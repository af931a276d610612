"""Page bodies that compile as MDX (Docusaurus's default) and as CommonMark (``detect``).

Docmost's export leaves ``{token}`` (a JS expression in MDX), ``&lt;>``/``</&gt;``/``<5ms`` (JSX
openings), ``<br>`` and ``<img ...>`` (unclosed JSX), ``style="..."`` strings (a render crash) and
``<https://…>`` autolinks. Code is never touched (see markdown.py). In prose, ``{``/``}`` are
backslash-escaped and a ``<`` that does not open a known HTML tag becomes ``&lt;``, so the page
shows exactly what Docmost shows. Known HTML is kept as HTML, rewritten into valid JSX; unknown or
dangerous tags are dropped. Every transformation here is idempotent.
"""

from __future__ import annotations

import re

from docmost_syncd.postprocess.markdown import code_blocks, map_prose

HTML_TAGS = frozenset(
    [
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "code",
        "col",
        "colgroup",
        "dd",
        "del",
        "details",
        "div",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "ins",
        "kbd",
        "li",
        "mark",
        "ol",
        "p",
        "pre",
        "s",
        "small",
        "source",
        "span",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
        "video",
        "audio",
        "iframe",
    ]
)
VOID_TAGS = frozenset({"br", "hr", "img", "col", "source"})
DROPPED_WITH_CONTENT = ("script", "style", "noscript", "template")
_ATTRIBUTE_NAMES = {
    "class": "className",
    "for": "htmlFor",
    "colspan": "colSpan",
    "rowspan": "rowSpan",
    "tabindex": "tabIndex",
    "readonly": "readOnly",
    "maxlength": "maxLength",
    "cellpadding": "cellPadding",
    "cellspacing": "cellSpacing",
    "frameborder": "frameBorder",
    "allowfullscreen": "allowFullScreen",
    "srcset": "srcSet",
    "crossorigin": "crossOrigin",
    "datetime": "dateTime",
    "autoplay": "autoPlay",
    "playsinline": "playsInline",
}
_NUMERIC_ATTRIBUTES = frozenset({"colSpan", "rowSpan", "tabIndex"})
_BOOLEAN_ATTRIBUTES = frozenset(
    {"controls", "open", "allowFullScreen", "autoPlay", "loop", "muted", "playsInline"}
)

_ATTR = re.compile(
    r"""\s*(?P<name>[^\s=/>"'{}]+)(?:\s*=\s*(?P<value>"[^"]*"|'[^']*'|\{\{[^{}]*\}\}|\{[^{}]*\}|[^\s"'=<>`{}]+))?"""
)
_TAG = re.compile(
    r"""<(?P<close>/?)(?P<name>[A-Za-z][A-Za-z0-9-]*)(?P<attrs>(?:\s+[^\s=/>"'{}]+"""
    r"""(?:\s*=\s*(?:"[^"]*"|'[^']*'|\{\{[^{}]*\}\}|\{[^{}]*\}|[^\s"'=<>`{}]+))?)*)\s*(?P<self>/?)>"""
)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_DROPPED_BLOCK = re.compile(
    r"<(?P<tag>" + "|".join(DROPPED_WITH_CONTENT) + r")\b[^>]*>.*?</(?P=tag)\s*>", re.DOTALL | re.IGNORECASE
)
_CALLOUT = re.compile(r"^(?P<indent>[ \t]*):::(?P<kind>[A-Za-z]+)[ \t]*$", re.MULTILINE)
_CALLOUT_KINDS = {
    "default": "note",
    "success": "tip",
    "note": "note",
    "info": "info",
    "tip": "tip",
    "warning": "warning",
    "danger": "danger",
    "caution": "warning",
    "error": "danger",
}
_INDENTED_LINE = re.compile(r"^(?: {4}|\t)", re.MULTILINE)
_BLOCK_MATH = re.compile(r"\$\$\n(?P<body>.*?)\n\$\$", re.DOTALL)
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?P<body>[^$\n]+?)\$(?!\$)")


def _style_object(css: str) -> str:
    """``color: red; font-size: 2px`` → ``{{color: 'red', fontSize: '2px'}}``."""
    pairs = []
    for declaration in css.split(";"):
        if ":" not in declaration:
            continue
        prop, value = (part.strip() for part in declaration.split(":", 1))
        if not prop or not value or not re.fullmatch(r"-?[A-Za-z-]+", prop):
            continue
        if prop.startswith("--"):
            continue
        camel = re.sub(r"-([a-z])", lambda m: m.group(1).upper(), prop.lower().lstrip("-"))
        escaped = value.replace("\\", "\\\\").replace("'", "\\'")
        pairs.append(f"{camel}: '{escaped}'")
    return "{{" + ", ".join(pairs) + "}}"


def _jsx_attributes(raw: str) -> str:
    out = []
    for match in _ATTR.finditer(raw):
        name = match.group("name")
        value = match.group("value")
        lower = name.lower()
        if lower.startswith("on") or lower in ("srcdoc", "formaction"):
            continue  # event handlers and script sinks are dropped
        jsx_name = _ATTRIBUTE_NAMES.get(lower, name if ("-" in name or name != lower) else lower)
        if value is None:
            out.append(jsx_name)
            continue
        if value.startswith("{"):
            out.append(f"{jsx_name}={value}")
            continue
        text = value[1:-1] if value[:1] in "\"'" else value
        if re.match(r"\s*javascript:", text, re.IGNORECASE):
            continue
        if jsx_name == "style":
            out.append(f"style={_style_object(text)}")
        elif jsx_name in _NUMERIC_ATTRIBUTES and text.strip().isdigit():
            out.append(f"{jsx_name}={{{int(text)}}}")
        elif jsx_name in _BOOLEAN_ATTRIBUTES:
            out.append(jsx_name)
        else:
            quoted = text.replace('"', "&quot;")
            out.append(f'{jsx_name}="{quoted}"')
    return "".join(f" {attribute}" for attribute in out)


def _convert_tag(match: re.Match[str]) -> str:
    name = match.group("name").lower()
    if name not in HTML_TAGS:
        return ""
    if match.group("close"):
        return "" if name in VOID_TAGS else f"</{name}>"
    attributes = _jsx_attributes(match.group("attrs") or "")
    if name in VOID_TAGS or match.group("self"):
        return f"<{name}{attributes} />"
    return f"<{name}{attributes}>"


def _escape_braces(text: str) -> str:
    """``{`` → ``\\{`` unless an odd run of backslashes already escapes it (idempotent)."""

    def escape(match: re.Match[str]) -> str:
        slashes = match.group(1)
        return match.group(0) if len(slashes) % 2 else f"{slashes}\\{match.group(2)}"

    return re.sub(r"(\\*)([{}])", escape, text)


def _escape_text(text: str) -> str:
    text = text.replace("<", "&lt;")
    return _escape_braces(text)


def _escape_prose(chunk: str) -> str:
    chunk = _COMMENT.sub("", chunk)
    chunk = _DROPPED_BLOCK.sub("", chunk)
    out: list[str] = []
    position = 0
    for match in _TAG.finditer(chunk):
        name = match.group("name")
        # Lower-case names are HTML (Docmost escapes prose '<' as &lt;): known ones become JSX,
        # unknown or dangerous ones are dropped. `<T>` or `<String>` is text and gets escaped.
        if name != name.lower() and name.lower() not in HTML_TAGS:
            continue
        out.append(_escape_text(chunk[position : match.start()]))
        out.append(_convert_tag(match))
        position = match.end()
    out.append(_escape_text(chunk[position:]))
    return "".join(out)


def _fix_math(text: str) -> str:
    """Docmost doubles every backslash in math (Turndown escapes before its math rule runs)."""
    text = _BLOCK_MATH.sub(lambda m: "$$\n" + m.group("body").replace("\\\\", "\\") + "\n$$", text)
    return _INLINE_MATH.sub(lambda m: "$" + m.group("body").replace("\\\\", "\\") + "$", text)


def _callouts(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        kind = _CALLOUT_KINDS.get(match.group("kind").lower(), "note")
        return f"{match.group('indent')}:::{kind}"

    return _CALLOUT.sub(replace, text)


def fence_indented_code(text: str) -> str:
    """MDX has no indented code blocks; fence them so both formats show code."""
    if not _INDENTED_LINE.search(text):
        return text
    blocks = [(start, end) for start, end, fenced in code_blocks(text) if not fenced]
    if not blocks:
        return text
    lines = text.splitlines(keepends=True)
    for start, end in reversed(blocks):
        body = "".join(
            line[4:] if line.startswith("    ") else line.lstrip("\t") for line in lines[start:end]
        )
        lines[start:end] = ["```\n", body.rstrip("\n") + "\n", "```\n"]
    return "".join(lines)


def escape_for_mdx(body: str) -> str:
    """Only the escaping of prose (braces, stray ``<``, HTML to JSX); idempotent."""
    return map_prose(body, _escape_prose)


_DELIMITER_CELL = re.compile(r"^\s*:?-{3,}:?\s*$")


def _table_cells(line: str) -> list[str]:
    """Cells of a pipe-table row (escaped pipes stay inside their cell)."""
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    return re.split(r"(?<!\\)\|", body)


def repair_tables(text: str) -> str:
    """Docmost writes tables with merged cells as a header row whose delimiter row has a different
    number of cells (GFM then shows pipes as text). Give the delimiter row the header's count."""
    lines = text.split("\n")
    for number in range(1, len(lines)):
        delimiter, header = lines[number], lines[number - 1]
        if "|" not in delimiter or "|" not in header or "-" not in delimiter:
            continue
        cells = [cell for cell in _table_cells(delimiter) if cell.strip()]
        if not cells or not all(_DELIMITER_CELL.match(cell) for cell in cells):
            continue
        columns = len(_table_cells(header))
        if len(_table_cells(delimiter)) != columns:
            lines[number] = "| " + " | ".join(["---"] * columns) + " |"
    return "\n".join(lines)


def prose_to_mdx(chunk: str) -> str:
    """One prose segment: math backslashes, callout types, table repair, then escaping."""
    return _escape_prose(repair_tables(_callouts(_fix_math(chunk))))


def to_mdx(body: str) -> str:
    """The whole body transformation: indented code fenced, then callouts, math and escaping of prose."""
    return map_prose(fence_indented_code(body), prose_to_mdx)
