"""Tables: a GFM pipe table when the table is a plain grid, an HTML table (JSX) otherwise.

A pipe table needs a header row of header cells, one paragraph of text per cell, no merged
cells and no colours; anything else (colspan, rowspan, a header column, a background, a list or
a line break in a cell, no header row) keeps its shape as JSX ``<table>`` with markdown inside
each cell.
"""

from __future__ import annotations

from docmost_syncd.render import jsx
from docmost_syncd.render.context import Node, RenderContext, attrs, children

_ALIGNMENTS = {"left": ":---", "center": ":---:", "right": "---:"}


def _span(cell: Node, key: str) -> int:
    value = attrs(cell).get(key)
    return value if isinstance(value, int) and value > 1 else 1


def _has_break(nodes: list[Node]) -> bool:
    return any(n.get("type") == "hardBreak" or "\n" in str(n.get("text") or "") for n in nodes)


def _simple_cell(cell: Node) -> list[Node] | None:
    """The phrasing of a cell that holds at most one plain paragraph, else None."""
    blocks = children(cell)
    if not blocks:
        return []
    if len(blocks) != 1 or blocks[0].get("type") != "paragraph":
        return None
    paragraph = blocks[0]
    a = attrs(paragraph)
    if a.get("textAlign") in ("center", "right", "justify") or a.get("indent"):
        return None
    inline = children(paragraph)
    return None if _has_break(inline) else inline


def _column_alignments(rows: list[list[Node]]) -> list[str] | None:
    alignments = []
    for column in range(len(rows[0])):
        values = {attrs(row[column]).get("align") or None for row in rows}
        if len(values) > 1:
            return None
        value = values.pop()
        alignments.append(_ALIGNMENTS.get(str(value), "---") if value else "---")
    return alignments


def _is_pipe_table(rows: list[list[Node]]) -> bool:
    if not rows or not rows[0]:
        return False
    width = len(rows[0])
    for number, row in enumerate(rows):
        if len(row) != width:
            return False
        for cell in row:
            expected = "tableHeader" if number == 0 else "tableCell"
            if cell.get("type") != expected or _span(cell, "colspan") > 1 or _span(cell, "rowspan") > 1:
                return False
            if attrs(cell).get("backgroundColor") or _simple_cell(cell) is None:
                return False
    return _column_alignments(rows) is not None


def _pipe_table(rows: list[list[Node]], ctx: RenderContext) -> str:
    ctx.in_table = True
    try:
        lines = []
        for number, row in enumerate(rows):
            cells = [ctx.inline(_simple_cell(cell)).strip() for cell in row]
            lines.append("| " + " | ".join(cells) + " |")
            if number == 0:
                lines.append("| " + " | ".join(_column_alignments(rows) or []) + " |")
        return "\n".join(lines)
    finally:
        ctx.in_table = False


def _cell_style(cell: Node) -> dict[str, str]:
    a = attrs(cell)
    style = {}
    background = jsx.css_color(a.get("backgroundColor"))
    if background:
        style["backgroundColor"] = background
    if a.get("align") in ("left", "center", "right"):
        style["textAlign"] = str(a["align"])
    return style


def _html_table(rows: list[list[Node]], ctx: RenderContext) -> str:
    ctx.use_jsx()
    lines = [jsx.open_tag("table", {"className": "docmost-table"}), "<tbody>"]
    for row in rows:
        lines.append("<tr>")
        for cell in row:
            tag = "th" if cell.get("type") == "tableHeader" else "td"
            cell_attrs: jsx.Attributes = {
                "colSpan": _span(cell, "colspan") if _span(cell, "colspan") > 1 else None,
                "rowSpan": _span(cell, "rowspan") if _span(cell, "rowspan") > 1 else None,
                "style": _cell_style(cell),
            }
            lines.append(jsx.block(tag, cell_attrs, ctx.blocks(children(cell))))
        lines.append("</tr>")
    lines.extend(["</tbody>", "</table>"])
    return "\n".join(lines)


def table(node: Node, ctx: RenderContext) -> str:
    rows = [children(row) for row in children(node) if row.get("type") == "tableRow"]
    rows = [row for row in rows if row]
    if not rows:
        return ""
    return _pipe_table(rows, ctx) if _is_pipe_table(rows) else _html_table(rows, ctx)
