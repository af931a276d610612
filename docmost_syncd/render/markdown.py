"""Markdown that Docusaurus reads the same way as CommonMark + GFM (``.md`` under
``markdown.format: 'detect'``) and as MDX (every file under the default ``'mdx'``).

Escaping is data: ``UNSAFE`` lists every character that would start a construct, where it does,
and why; ``escape_text`` applies the list to the text of one node. Where Docusaurus changes text
after parsing (remark-emoji turns ``:name:`` into an emoji, GFM turns ``www.``, ``http://`` and
e-mail addresses in text into links; Docmost shows all of them as text), no escape survives to
stop it: a word joiner (U+2060, invisible, no line break) inside the pattern does. Nothing here
ever runs over rendered output, and code and math never pass through it (code gets one thing: a
word joiner inside ``&<``, see ``_minifier_safe``). A backslash before ASCII punctuation is a
literal character in CommonMark and in MDX alike, which is why it is the default escape.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Where = Literal[
    "anywhere",
    "shortcode",
    "email_at",
    "line_start",
    "line_start_word",
    "before_entity",
    "before_angle",
    "before_letter",
    "before_slashes",
    "after_www",
    "in_table",
]


@dataclass(frozen=True, slots=True)
class Unsafe:
    character: str
    where: Where
    reason: str
    replacement: str = ""  # empty: a backslash before the character


UNSAFE: tuple[Unsafe, ...] = (
    Unsafe("\\", "anywhere", "the escape character itself"),
    Unsafe("`", "anywhere", "opens a code span"),
    Unsafe("*", "anywhere", "emphasis; a list item at a line start"),
    Unsafe("_", "anywhere", "emphasis"),
    Unsafe("[", "anywhere", "opens a link, an image or a footnote reference"),
    Unsafe("]", "anywhere", "closes a link"),
    Unsafe("{", "anywhere", "opens an MDX expression"),
    Unsafe("}", "anywhere", "closes an MDX expression"),
    Unsafe("<", "anywhere", "opens JSX in MDX and HTML in CommonMark", "&lt;"),
    Unsafe("~", "anywhere", "GFM strikethrough"),
    Unsafe("$", "anywhere", "inline math on sites with remark-math"),
    Unsafe("#", "anywhere", "an ATX heading at a line start, a closing sequence at a heading's end"),
    Unsafe("&", "before_entity", "starts a character reference", "&amp;"),
    Unsafe(
        "&", "before_angle", "Docusaurus Faster's HTML minifier (@swc/html) writes the text '&<' "
        "back as '&' and markup: a word joiner between them", "&\u2060",
    ),
    Unsafe(
        ":", "shortcode", "`:name:` becomes an emoji (remark-emoji works on text, after escapes are gone): "
        "a word joiner (U+2060, invisible) after the colon breaks the name", "\\:\u2060",
    ),
    Unsafe(":", "before_letter", "starts a directive (Docusaurus admonitions use remark-directive)"),
    Unsafe("@", "email_at", "a GFM email autolink literal (a@b.io)", "\u2060@"),
    Unsafe(":", "before_slashes", "a GFM autolink literal (http://…)", ":\u2060"),
    Unsafe(".", "after_www", "a GFM autolink literal (www.…)", "\u2060."),
    Unsafe("|", "in_table", "separates GFM table cells"),
    Unsafe(">", "line_start", "a block quote"),
    Unsafe("+", "line_start", "a list item"),
    Unsafe("-", "line_start", "a list item, a thematic break or a setext underline"),
    Unsafe("=", "line_start", "a setext underline"),
    Unsafe(":", "line_start", "a run of colons opens or closes an admonition"),
    Unsafe("import", "line_start_word", "an ES module statement in MDX"),
    Unsafe("export", "line_start_word", "an ES module statement in MDX"),
)

_PATTERNS: dict[Where, str] = {
    "anywhere": "{chars}",
    "shortcode": r"{chars}(?=[\w+-]+:)",
    "email_at": r"(?<=[\w.+-]){chars}(?=[\w-])",
    "before_entity": r"{chars}(?=#?[A-Za-z0-9]+;)",
    "before_angle": r"{chars}(?=<)",
    "before_letter": r"{chars}(?=[A-Za-z])",
    "before_slashes": r"{chars}(?=//)",
    "after_www": r"(?<=\bwww){chars}",
    "in_table": "{chars}",
    "line_start": r"^{chars}",
    "line_start_word": r"^(?:{words})(?=\s)",
}


def _compile(where: Where) -> re.Pattern[str] | None:
    unsafe = [u.character for u in UNSAFE if u.where == where]
    if not unsafe:
        return None
    chars = "[" + "".join(re.escape(c) for c in unsafe) + "]"
    return re.compile(_PATTERNS[where].format(chars=chars, words="|".join(map(re.escape, unsafe))))


_COMPILED = {where: _compile(where) for where in _PATTERNS}
# "&" first: the "&lt;" that "<" becomes must not be escaped again.
# "shortcode" before "before_letter": both would escape the same colon.
_PHRASING: tuple[Where, ...] = (
    "before_entity", "before_angle", "anywhere", "shortcode", "before_letter", "before_slashes", "after_www", "email_at",
)  # fmt: skip
# Most text needs none of those substitutions: one search tells, instead of five passes.
_ANY_PHRASING = re.compile("|".join(f"(?:{p.pattern})" for where in _PHRASING if (p := _COMPILED[where])))
# A link's text is never made a link again: GFM's autolink literals leave it alone.
_AUTOLINKS: frozenset[Where] = frozenset({"before_slashes", "after_www", "email_at"})
_REPLACEMENT = {(u.where, u.character): u.replacement or "\\" + u.character for u in UNSAFE}
_ORDERED_MARKER = re.compile(r"^(\d{1,9})([.)])")


def escape_text(text: str, *, line_start: bool = False, in_table: bool = False, in_link: bool = False) -> str:
    """The text of one node, safe in phrasing. ``line_start``: the text begins a line of output;
    ``in_link``: it is a link's text (or an image's), where a URL or address stays unbroken."""
    if line_start:
        text = text.lstrip(" \t")  # leading blanks would open an indented code block
    out = text
    if _ANY_PHRASING.search(out):
        for where in _PHRASING:
            if in_link and where in _AUTOLINKS:
                continue
            pattern = _COMPILED[where]
            assert pattern is not None
            out = pattern.sub(lambda m, where=where: _REPLACEMENT[where, m.group(0)], out)  # type: ignore[misc]
    if in_table:
        out = out.replace("|", "\\|")
    if line_start:
        pattern = _COMPILED["line_start"]
        assert pattern is not None
        out = pattern.sub(lambda m: _REPLACEMENT["line_start", m.group(0)], out)
        out = _ORDERED_MARKER.sub(r"\1\\\2", out)
        words = _COMPILED["line_start_word"]
        assert words is not None
        out = words.sub(lambda m: character_reference(m.group(0)[0]) + m.group(0)[1:], out)
    return out


def is_punctuation(char: str) -> bool:
    """CommonMark's punctuation: what makes an emphasis delimiter unable to open or close."""
    return unicodedata.category(char)[0] in "PS"


def character_reference(char: str) -> str:
    return f"&#x{ord(char):X};"


def _minifier_safe(code: str) -> str:
    """Code as it is, but for a word joiner inside every ``&<``: Docusaurus Faster's HTML
    minifier would write that text back as markup (see ``UNSAFE``)."""
    return code.replace("&<", "&\u2060<")


def code_span(text: str, *, in_table: bool = False) -> str:
    """Inline code: a backtick run longer than any inside; padded when the text touches a backtick."""
    text = _minifier_safe(text.replace("\n", " "))
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    if (
        text.startswith("`")
        or text.endswith("`")
        or (text.startswith(" ") and text.endswith(" ") and text.strip())
    ):
        text = f" {text} "
    if in_table:
        text = text.replace("|", "\\|")  # GFM splits cells before it finds code spans
    return f"{fence}{text}{fence}"


def code_fence(code: str, language: str = "") -> str:
    """A fenced code block whose fence no line of the code can close."""
    code = _minifier_safe(code)
    longest = max((len(run) for run in re.findall(r"`{3,}", code)), default=0)
    fence = "`" * max(3, longest + 1)
    info = re.sub(r"[^\w+#.-]", "", language)
    return f"{fence}{info}\n{code.removesuffix(chr(10))}\n{fence}" if code else f"{fence}{info}\n{fence}"


_URL_UNSAFE = re.compile(r"[\s()<>\\`{}\"']")


def link_destination(url: str) -> str:
    """A link destination that neither CommonMark nor MDX can misread: unsafe bytes percent-encoded."""
    return _URL_UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group(0).encode()), url)


def indent_block(text: str, first: str, rest: str) -> str:
    """Prefix the first line with ``first`` and every other non-empty line with ``rest``."""
    lines = text.split("\n")
    out = [first + lines[0] if lines[0] else first.rstrip()]
    out.extend(rest + line if line else "" for line in lines[1:])
    return "\n".join(out)


def quote_block(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))
