"""Where the code is: split a markdown body into code (never touched) and prose (rewritable).

Block structure (fenced and indented code) comes from markdown-it-py's CommonMark parser; inline
code spans (any number of backticks) are found within the remaining text by the CommonMark rule
that a span closes with a backtick run of exactly the opening length.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from markdown_it import MarkdownIt

# Only the block structure is needed (where code blocks are): inline parsing is switched off.
_PARSER = MarkdownIt("commonmark").disable("inline")
_BACKTICKS = re.compile(r"`+")
_MAYBE_CODE_BLOCK = re.compile(r"```|~~~|^(?: {4}|\t)", re.MULTILINE)


def code_blocks(text: str) -> list[tuple[int, int, bool]]:
    """Line ranges [start, end) of code blocks, with True for fenced and False for indented ones."""
    if not _MAYBE_CODE_BLOCK.search(text):
        return []  # no fence and no indented line: no code block, no need to parse
    ranges = []
    for token in _PARSER.parse(text):
        if token.type in ("fence", "code_block") and token.map is not None:
            ranges.append((token.map[0], token.map[1], token.type == "fence"))
    return ranges


def _split_code_spans(text: str) -> Iterator[tuple[bool, str]]:
    position = 0
    scan = 0
    while True:
        opening = _BACKTICKS.search(text, scan)
        if opening is None:
            break
        if opening.start() > 0 and text[opening.start() - 1] == "\\":
            scan = opening.end()
            continue
        run = opening.group()
        closing = re.compile(rf"(?<!`){run}(?!`)").search(text, opening.end())
        if closing is None:
            scan = opening.end()
            continue
        if opening.start() > position:
            yield False, text[position : opening.start()]
        yield True, text[opening.start() : closing.end()]
        position = scan = closing.end()
    if position < len(text):
        yield False, text[position:]


def split_code(text: str) -> Iterator[tuple[bool, str]]:
    """Yield ``(is_code, chunk)``; joining the chunks gives back ``text`` exactly."""
    lines = text.splitlines(keepends=True)
    cursor = 0
    for start, end, _fenced in code_blocks(text):
        if start < cursor:
            continue
        if start > cursor:
            yield from _split_code_spans("".join(lines[cursor:start]))
        yield True, "".join(lines[start:end])
        cursor = end
    if cursor < len(lines):
        yield from _split_code_spans("".join(lines[cursor:]))


class Body:
    """A page body that is split into code and prose once, not once per step: text-level steps
    replace the text (and the split is redone lazily), prose steps map the prose segments."""

    __slots__ = ("_segments", "_text")

    def __init__(self, text: str) -> None:
        self._text: str | None = text
        self._segments: list[tuple[bool, str]] | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            assert self._segments is not None
            self._text = "".join(chunk for _code, chunk in self._segments)
        return self._text

    def replace(self, transform: Callable[[str], str]) -> None:
        new = transform(self.text)
        if new != self._text:
            self._text, self._segments = new, None

    def map_prose(self, transform: Callable[[str], str]) -> None:
        if self._segments is None:
            self._segments = list(split_code(self.text))
        self._segments = [(code, chunk if code else transform(chunk)) for code, chunk in self._segments]
        self._text = None


def map_prose(text: str, transform: Callable[[str], str]) -> str:
    """Apply ``transform`` to every prose chunk, leaving code byte-for-byte as it was."""
    return "".join(chunk if is_code else transform(chunk) for is_code, chunk in split_code(text))
