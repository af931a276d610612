"""Phrasing: text with its marks, and the inline nodes (mentions, math, status badges, breaks).

ProseMirror puts marks on each text node; markdown nests them. Consecutive nodes that share a
mark are grouped under it (marks in ``MARK_ORDER``, outermost first), then each group is written
left to right into one buffer, so every handler knows what precedes it. Emphasis follows
CommonMark's flanking rules without guessing: blanks at a group's edge move outside the
delimiters, and where punctuation at the edge would stop a delimiter from opening or closing,
the neighbouring character is written as a character reference (which counts as punctuation).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from docmost_syncd.render import jsx
from docmost_syncd.render.context import Node, RenderContext, attrs, text_content
from docmost_syncd.render.markdown import (
    character_reference,
    code_span,
    escape_text,
    is_punctuation,
    link_destination,
)

MARK_ORDER = (
    "link",
    "bold",
    "italic",
    "strike",
    "underline",
    "highlight",
    "textStyle",
    "subscript",
    "superscript",
    "comment",
    "code",
)
PRIVATE_PAGE = "a page that is not public"  # what stands for an unpublished page's name or address
STATUS_COLORS = frozenset({"gray", "blue", "green", "yellow", "red", "purple"})


@dataclass
class _Group:
    mark: Node | None
    items: list[Node | _Group] = field(default_factory=list)


def _mark_key(mark: Node) -> str:
    return json.dumps([mark.get("type"), attrs(mark)], sort_keys=True, default=str)


def _marks_of(node: Node) -> list[Node]:
    marks = [m for m in node.get("marks") or [] if isinstance(m, dict)]

    def order(mark: Node) -> int:
        kind = mark.get("type")
        return MARK_ORDER.index(kind) if kind in MARK_ORDER else MARK_ORDER.index("code") - 1

    return sorted(marks, key=order)


def nest_marks(nodes: list[Node]) -> _Group:
    """Group consecutive nodes under the marks they share, outermost mark first."""
    root = _Group(None)
    stack = [root]
    for node in nodes:
        marks = _marks_of(node)
        depth = 1
        while (
            depth < len(stack)
            and depth - 1 < len(marks)
            and _mark_key(stack[depth].mark or {}) == _mark_key(marks[depth - 1])
        ):
            depth += 1
        del stack[depth:]
        for mark in marks[depth - 1 :]:
            group = _Group(mark)
            stack[-1].items.append(group)
            stack.append(group)
        stack[-1].items.append(node)
    return root


def _split_edges(items: list[Node | _Group]) -> tuple[str, list[Node | _Group], str]:
    """Blanks at the start and end of a group's text, taken out (they go outside its delimiters)."""

    def first_text(group_items: list[Node | _Group], from_end: bool) -> list[Node | _Group]:
        if not group_items:
            return group_items
        index = -1 if from_end else 0
        item = group_items[index]
        copy = list(group_items)
        if isinstance(item, _Group):
            copy[index] = _Group(item.mark, first_text(item.items, from_end))
        elif item.get("type") == "text":
            text = str(item.get("text") or "")
            edges[from_end] = (
                text[len(text.rstrip()) :] if from_end else text[: len(text) - len(text.lstrip())]
            )
            copy[index] = dict(item, text=text.rstrip() if from_end else text.lstrip())
        return copy

    edges = {False: "", True: ""}
    items = first_text(items, False)
    items = first_text(items, True)
    return edges[False], items, edges[True]


class InlineWriter:
    """One line-oriented buffer of phrasing output."""

    def __init__(self, ctx: RenderContext, *, line_start: bool = True, in_link: bool = False) -> None:
        self.ctx = ctx
        self.in_link = in_link
        self.parts: list[str] = []
        self.line_start = line_start
        self.needs_punctuation = False  # a closing delimiter that only punctuation may follow

    def at_line_start(self) -> bool:
        return (not self.parts and self.line_start) or bool(self.parts and self.parts[-1].endswith("\n"))

    def emit(self, text: str) -> None:
        if not text:
            return
        first = text[0]
        if self.needs_punctuation and not first.isspace() and not is_punctuation(first):
            text = character_reference(first) + text[1:]
        self.needs_punctuation = False
        self.parts.append(text)

    def last_char(self) -> str:
        return self.parts[-1][-1] if self.parts else ""

    def text(self) -> str:
        return "".join(self.parts)

    # ---- nodes -----------------------------------------------------------------------------

    def group(self, group: _Group) -> None:
        for item in group.items:
            if isinstance(item, _Group):
                self.marked(item)
            else:
                self.node(item)

    def node(self, node: Node) -> None:
        kind = str(node.get("type"))
        handler = INLINE.get(kind)
        if handler is None:
            self.ctx.unknown.add(kind)
            self.text_value(text_content(node))
        else:
            handler(self, node)

    def text_value(self, value: str) -> None:
        for number, line in enumerate(value.split("\n")):
            if number:
                hard_break(self, {})
            self.emit(
                escape_text(line, line_start=self.at_line_start(), in_table=self.ctx.in_table, in_link=self.in_link)
            )

    def inner(self, items: list[Node | _Group], *, line_start: bool = False, in_link: bool = False) -> str:
        sub = InlineWriter(self.ctx, line_start=line_start, in_link=in_link or self.in_link)
        sub.group(_Group(None, items))
        return sub.text()

    # ---- marks -----------------------------------------------------------------------------

    def marked(self, group: _Group) -> None:
        mark = group.mark or {}
        kind = str(mark.get("type"))
        if kind == "code" and all(isinstance(i, dict) and i.get("type") == "text" for i in group.items):
            value = "".join(str(i.get("text") or "") for i in group.items if isinstance(i, dict))
            self.emit(code_span(value, in_table=self.ctx.in_table))
            return
        if kind == "link":
            self.link(group)
            return
        lead, items, trail = _split_edges(group.items)
        self.text_value(lead)
        # A mark written without a delimiter (a comment) leaves its text where a line may start.
        bare = kind not in DELIMITERS and kind not in JSX_MARKS
        inner = self.inner(items, line_start=bare and self.at_line_start())
        if not inner:
            self.text_value(trail)
            return
        if kind in DELIMITERS:
            self.delimited(DELIMITERS[kind], inner)
        elif kind in JSX_MARKS:
            tag, attributes = JSX_MARKS[kind](attrs(mark))
            self.ctx.use_jsx()
            self.emit(jsx.open_tag(tag, attributes) + inner + f"</{tag}>")
        else:
            if kind not in ("comment",):
                self.ctx.unknown.add(f"mark:{kind}")
            self.emit(inner)
        self.text_value(trail)

    def delimited(self, delimiter: str, inner: str) -> None:
        if self.last_char() == delimiter[0] and delimiter[0] == "*":
            delimiter = delimiter.replace("*", "_")  # "**a***b*" would not read back as two runs
        previous = self.last_char()
        if is_punctuation(inner[0]) and previous and not previous.isspace() and not is_punctuation(previous):
            last = self.parts[-1]
            self.parts[-1] = last[:-1] + character_reference(last[-1])
        self.emit(delimiter + inner + delimiter)
        self.needs_punctuation = is_punctuation(inner[-1]) or delimiter[0] == "_"

    def link(self, group: _Group) -> None:
        href = str(attrs(group.mark or {}).get("href") or "")
        target = self.ctx.resolver.link(href)
        if target is None or target.url is None:
            shown = "".join(str(i.get("text") or "") for i in group.items if isinstance(i, dict))
            if target is not None and target.private and shown.strip() == href.strip():
                self.text_value(PRIVATE_PAGE)  # a bare address would name the page
            else:
                self.emit(self.inner(group.items))
            return
        inner = self.inner(group.items, in_link=True)
        shown = "".join(str(i.get("text") or "") for i in group.items if isinstance(i, dict))
        if target.title and (not inner or shown.strip() == href):
            inner = escape_text(target.title, in_link=True)  # a bare URL as text reads better as the page's title
        label = inner or escape_text(target.url, in_link=True)
        self.emit(f"[{label}]({link_destination(target.url)})")


def _highlight(attributes: dict[str, object]) -> tuple[str, jsx.Attributes]:
    color = jsx.css_color(attributes.get("color"))
    return "mark", {"style": {"backgroundColor": color} if color else None}


def _text_style(attributes: dict[str, object]) -> tuple[str, jsx.Attributes]:
    color = jsx.css_color(attributes.get("color"))
    return "span", {"style": {"color": color} if color else None}


DELIMITERS = {"bold": "**", "italic": "*", "strike": "~~"}
JSX_MARKS: dict[str, Callable[[dict[str, object]], tuple[str, jsx.Attributes]]] = {
    "underline": lambda _a: ("u", {}),
    "subscript": lambda _a: ("sub", {}),
    "superscript": lambda _a: ("sup", {}),
    "highlight": _highlight,
    "textStyle": _text_style,
}


# ---- inline nodes ---------------------------------------------------------------------------


def text(out: InlineWriter, node: Node) -> None:
    out.text_value(str(node.get("text") or ""))


def hard_break(out: InlineWriter, _node: Node) -> None:
    if out.ctx.in_heading or out.ctx.in_table:
        out.emit(" ")
    else:
        out.emit("\\\n")


def mention(out: InlineWriter, node: Node) -> None:
    a = attrs(node)
    label = str(a.get("label") or "")
    if a.get("entityType") != "page":
        out.text_value(f"@{label}" if label else "@")
        return
    target = out.ctx.resolver.page(a.get("entityId"), a.get("slugId"), a.get("anchorId"))
    title = PRIVATE_PAGE if target.private else (target.title or label or "page")
    if target.url is None:
        out.text_value(title)
        return
    out.emit(f"[{escape_text(title, in_table=out.ctx.in_table, in_link=True)}]({link_destination(target.url)})")


def math_inline(out: InlineWriter, node: Node) -> None:
    formula = str(attrs(node).get("text") or text_content(node)).replace("\n", " ").strip()
    if not formula:
        return
    if out.ctx.options.math == "katex" and "$" not in formula:
        out.emit(f"${formula}$")
    else:
        out.emit(code_span(formula, in_table=out.ctx.in_table))


def status(out: InlineWriter, node: Node) -> None:
    a = attrs(node)
    label = str(a.get("text") or "").strip()
    if not label:
        return
    color = a.get("color") if a.get("color") in STATUS_COLORS else "gray"
    out.ctx.use_jsx()
    classes = f"docmost-status docmost-status--{color}"
    out.emit(jsx.open_tag("span", {"className": classes}) + escape_text(label) + "</span>")


def footnote_reference(out: InlineWriter, node: Node) -> None:
    a = attrs(node)
    label = footnote_label(out.ctx, a.get("data-id"), a.get("referenceNumber"))
    out.emit(f"[^{label}]")


def footnote_label(ctx: RenderContext, data_id: object, number: object) -> str:
    """One label per footnote, shared by its reference and its definition (GFM renumbers them)."""
    key = str(data_id or number or len(ctx.footnotes) + 1)
    if key not in ctx.footnotes:
        clean = "".join(c if c.isalnum() or c == "-" else "-" for c in key).strip("-")
        ctx.footnotes[key] = clean or str(len(ctx.footnotes) + 1)
    return ctx.footnotes[key]


INLINE: dict[str, Callable[[InlineWriter, Node], None]] = {
    "text": text,
    "hardBreak": hard_break,
    "mention": mention,
    "mathInline": math_inline,
    "status": status,
    "footnoteReference": footnote_reference,
}


def render_inline(nodes: list[Node], ctx: RenderContext) -> str:
    """The phrasing content of one block, as markdown."""
    writer = InlineWriter(ctx)
    writer.group(nest_marks(nodes))
    return writer.text()
