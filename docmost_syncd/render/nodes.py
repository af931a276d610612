"""The whole table: every node type of Docmost 0.95's editor → the function that writes it.

Read top to bottom, it is the list of what a page can hold (``docmost-nodes.md`` in the design
notes has the same list with what Docmost's own markdown export makes of each). Inline nodes and
marks are in ``inline.py``'s ``INLINE`` and ``MARK_ORDER``. A type that is in neither table (a
node of a newer Docmost) is written as its text and reported once per space.
"""

from __future__ import annotations

from collections.abc import Callable

from docmost_syncd.render import blocks, media, tables
from docmost_syncd.render.context import Node, RenderContext, children, text_content
from docmost_syncd.render.inline import INLINE
from docmost_syncd.render.markdown import escape_text

BlockHandler = Callable[[Node, RenderContext], str]

BLOCKS: dict[str, BlockHandler] = {
    # text
    "paragraph": blocks.paragraph,
    "heading": blocks.heading,
    "blockquote": blocks.blockquote,
    "horizontalRule": blocks.horizontal_rule,
    "codeBlock": blocks.code_block,  # mermaid included: ```mermaid
    "mathBlock": blocks.math_block,
    # lists
    "bulletList": blocks.bullet_list,
    "orderedList": blocks.ordered_list,
    "taskList": blocks.task_list,
    "listItem": blocks.list_item,
    "taskItem": blocks.list_item,
    # containers
    "callout": blocks.callout,
    "details": blocks.details,
    "detailsContent": blocks.details_content,
    "table": tables.table,
    "columns": blocks.columns,
    "column": blocks.column,
    # files and media
    "image": media.image,
    "drawio": media.diagram,
    "excalidraw": media.diagram,
    "video": media.video,
    "audio": media.audio,
    "pdf": media.pdf,
    "attachment": media.attachment,
    "embed": media.embed,
    "youtube": media.youtube,
    # pages and structure
    "subpages": blocks.subpages,
    "pageBreak": blocks.page_break,
    "transclusionSource": blocks.transclusion_source,
    "transclusionReference": blocks.transclusion_reference,
    "base": blocks.base,
    "footnotes": blocks.footnotes,
}


def render_blocks(nodes: list[Node], ctx: RenderContext) -> str:
    """Blocks separated by blank lines; a list right after a list of the same kind takes the
    other marker, or markdown would merge the two into one list."""
    out: list[str] = []
    previous_list: tuple[str, bool] | None = None
    for node in nodes:
        kind = str(node.get("type"))
        list_kind = blocks.LIST_KINDS.get(kind)
        if list_kind is not None:
            ctx.list_alternate = (
                previous_list is not None and previous_list[0] == list_kind and not previous_list[1]
            )
            current: tuple[str, bool] | None = (list_kind, ctx.list_alternate)
        else:
            current = None
        handler = BLOCKS.get(kind)
        if handler is not None:
            text = handler(node, ctx)
        elif kind in INLINE:
            text = ctx.inline([node])
        else:
            ctx.unknown.add(kind)
            text = escape_text(text_content(node), line_start=True)
        ctx.list_alternate = False
        if text.strip():
            out.append(text)
            previous_list = current
    return "\n\n".join(out)


def render_document(doc: Node, ctx: RenderContext) -> str:
    return render_blocks(children(doc), ctx)
