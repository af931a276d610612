"""Title → path component: ASCII, stable, safe on every filesystem and in every URL.

Hangul syllables use the original Go tool's tables, so URLs stay what it produced for Korean
(한국 → hanguk, 빵 → ppang); every other script goes through unidecode. The original's intent
(words joined by ``-``) is followed where its code kept spaces.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from unidecode import unidecode

_INITIALS = (
    "g",
    "kk",
    "n",
    "d",
    "tt",
    "r",
    "m",
    "b",
    "pp",
    "s",
    "ss",
    "",
    "j",
    "jj",
    "ch",
    "k",
    "t",
    "p",
    "h",
)
_MEDIALS = (
    "a",
    "ae",
    "ya",
    "yae",
    "eo",
    "e",
    "yeo",
    "ye",
    "o",
    "wa",
    "wae",
    "oe",
    "yo",
    "u",
    "wo",
    "we",
    "wi",
    "yu",
    "eu",
    "ui",
    "i",
)
_FINALS = (
    "",
    "k",
    "k",
    "ks",
    "n",
    "nj",
    "nh",
    "d",
    "l",
    "lg",
    "lm",
    "lb",
    "ls",
    "lt",
    "lp",
    "lh",
    "m",
    "b",
    "bs",
    "s",
    "ss",
    "ng",
    "j",
    "ch",
    "k",
    "t",
    "p",
    "h",
)
_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3

_SYMBOLS = {"&": "-and-", "+": "-plus-", "@": "-at-", "#": "-num-", "%": "-pct-", "=": "-eq-"}
_DROPPED = set("()[]{}<>'\"`,;!$^~|*?")
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_DASHES = re.compile(r"-{2,}")
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])$", re.IGNORECASE)
# Docusaurus drops a number prefix from file and folder names when it makes doc ids and URLs
# (its DefaultNumberPrefixParser: "2023-Plan" → "Plan", though not date or version shapes such
# as "2023-11-05-Notes"): "2023 Plan" and "2024 Plan" would share an id and fail the build.
_NUMBER_PREFIX = re.compile(r"^(\d+)[-_.]+(?=[^-_.])")
_NOT_A_NUMBER_PREFIX = re.compile(r"^\d+[-_.]\d+")

MAX_NAME_BYTES = 120


def romanize_hangul(syllable: str) -> str:
    """One precomposed Hangul syllable by the original tool's letter-by-letter tables."""
    index = ord(syllable) - _HANGUL_FIRST
    return _INITIALS[index // 588] + _MEDIALS[(index % 588) // 28] + _FINALS[index % 28]


# str.translate tables: every Hangul syllable, and the symbols, in one C-speed pass each.
_HANGUL_TABLE = {code: romanize_hangul(chr(code)) for code in range(_HANGUL_FIRST, _HANGUL_LAST + 1)}
_SYMBOL_TABLE: dict[int, str | None] = {
    **{ord(char): None for char in _DROPPED},
    **{ord(char): word for char, word in _SYMBOLS.items()},
}


def to_ascii(text: str) -> str:
    """NFC, Hangul by the tables, any other non-ASCII through unidecode (emoji vanish)."""
    text = unicodedata.normalize("NFC", text).translate(_HANGUL_TABLE)
    if text.isascii():
        return text
    return "".join(char if ord(char) < 128 else unidecode(char) for char in text)


def slugify(title: str) -> str:
    """The path component for a title, without collision handling; may be empty."""
    text = to_ascii(title).translate(_SYMBOL_TABLE)
    text = _SAFE.sub("-", text)
    text = _DASHES.sub("-", text).strip("-._")
    if len(text.encode()) > MAX_NAME_BYTES:
        cut = text[:MAX_NAME_BYTES]
        text = (cut.rsplit("-", 1)[0] if "-" in cut[MAX_NAME_BYTES // 2 :] else cut).strip("-._")
    return text


def safe_name(title: str | None, fallback: str) -> str:
    """A path component that is never empty, ``.``/``..`` or a Windows device name, and that
    Docusaurus takes as it is (no number prefix it would drop)."""
    name = slugify(title or "")
    if not name:
        name = slugify(fallback) or "page"
    if _WINDOWS_RESERVED.match(name.split(".")[0]):
        name = f"{name}-page"
    if not _NOT_A_NUMBER_PREFIX.match(name):
        name = _NUMBER_PREFIX.sub(r"\1", name)  # "2023-Plan" → "2023Plan": the number stays in the URL
    return name


def unique_names(candidates: Iterable[str], reserved: Iterable[str] = ()) -> list[str]:
    """Deterministic de-duplication in the given (position) order: the first keeps its name,
    later ones get ``-2``, ``-3``...; comparison is case-insensitive, as on macOS and Windows."""
    taken = {name.lower() for name in reserved}
    result: list[str] = []
    for name in candidates:
        candidate, counter = name, 1
        while candidate.lower() in taken:
            counter += 1
            suffix = f"-{counter}"
            candidate = name[: MAX_NAME_BYTES - len(suffix)].rstrip("-._") + suffix
        taken.add(candidate.lower())
        result.append(candidate)
    return result
