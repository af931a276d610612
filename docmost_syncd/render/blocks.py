"""Block nodes: text blocks, lists, quotes, code, callouts, details, math, layout blocks.

Each handler takes one node and returns its markdown without surrounding blank lines ("" when
it shows nothing); containers render their children through ``ctx.blocks``.
"""

from __future__ import annotations

from collections.abc import Callable

from docmost_syncd.render import jsx
from docmost_syncd.render.context import Node, RenderContext, attrs, children, heading_anchor, text_content
from docmost_syncd.render.inline import PRIVATE_PAGE, footnote_label
from docmost_syncd.render.markdown import (
    code_fence,
    escape_text,
    indent_block,
    link_destination,
    quote_block,
)

# Docmost's callout types → Docusaurus admonitions (Docmost's own colours: default is grey,
# success green). An unknown type is shown as info, as Docmost does.
CALLOUT_TYPES = {
    "default": "note",
    "info": "info",
    "note": "note",
    "success": "tip",
    "warning": "warning",
    "danger": "danger",
}
COLUMN_LAYOUTS = frozenset(
    {
        "two_equal",
        "two_left_sidebar",
        "two_right_sidebar",
        "three_equal",
        "three_left_wide",
        "three_right_wide",
        "three_with_sidebars",
        "four_equal",
        "five_equal",
    }
)
ADMONITION_IMPORT = "import Admonition from '@theme/Admonition';"
# Docusaurus's Link, used without a target: the one element whose id its broken-anchor check
# collects besides its own headings (a literal <a id> in MDX is not seen).
HEADING_ANCHOR_IMPORT = "import HeadingAnchor from '@docusaurus/Link';"
MAX_TRANSCLUSION_DEPTH = 3


def aligned(node: Node, ctx: RenderContext, content: str) -> str:
    """A block with Docmost's text alignment or indent keeps it (in a styled wrapper)."""
    a = attrs(node)
    style: dict[str, str] = {}
    if a.get("textAlign") in ("center", "right", "justify"):
        style["textAlign"] = str(a["textAlign"])
    indent = a.get("indent")
    if isinstance(indent, int) and indent > 0:
        style["paddingInlineStart"] = f"{2 * min(indent, 8)}rem"  # Docmost's indent step is 2rem
    if not style or not content:
        return content
    ctx.use_jsx()
    return jsx.block("div", {"style": style}, content)


def paragraph(node: Node, ctx: RenderContext) -> str:
    return aligned(node, ctx, ctx.inline(children(node)))


def heading(node: Node, ctx: RenderContext) -> str:
    level = attrs(node).get("level")
    level = level if isinstance(level, int) and 1 <= level <= 6 else 2
    ctx.in_heading = True
    try:
        content = ctx.inline(children(node)).strip()
    finally:
        ctx.in_heading = False
    if not content:
        return ""
    anchor = heading_anchor(attrs(node).get("id"))
    suffix = ""
    if anchor and anchor not in ctx.anchors:
        ctx.anchors.append(anchor)
        if level == 1:
            # Docusaurus drops an h1's id, {#anchor} or not (a body that starts with one shows it
            # as the page's title): an empty anchor inside the heading carries the id, which
            # links scroll to and Docusaurus's broken-anchor check knows.
            ctx.use_jsx()
            ctx.imports.add(HEADING_ANCHOR_IMPORT)
            return aligned(node, ctx, f"# {jsx.void_tag('HeadingAnchor', {'id': anchor})}{content}")
        # Docusaurus's explicit heading id {#anchor}, escaped so MDX reads it as text whether or
        # not the site enables markdown.mdx1Compat.headingIds: #anchor links keep working.
        suffix = f" \\{{#{anchor}\\}}"
    return aligned(node, ctx, f"{'#' * level} {content}{suffix}")


def blockquote(node: Node, ctx: RenderContext) -> str:
    content = ctx.blocks(children(node))
    return quote_block(content) if content else ""


def code_block(node: Node, ctx: RenderContext) -> str:
    language = str(attrs(node).get("language") or "")
    return code_fence(text_content(node), language)


def horizontal_rule(_node: Node, _ctx: RenderContext) -> str:
    return "---"


# ---- lists ------------------------------------------------------------------------------------

LIST_KINDS = {"bulletList": "bullet", "taskList": "bullet", "orderedList": "ordered"}


def _tight(item: Node) -> bool:
    """A list item of one paragraph, optionally followed by one nested list, is written tight."""
    kinds = [child.get("type") for child in children(item)]
    return kinds in ([], ["paragraph"]) or (
        len(kinds) <= 2 and kinds[-1] in LIST_KINDS and all(k == "paragraph" for k in kinds[:-1])
    )


def _list(items: list[Node], markers: Callable[[int], str], ctx: RenderContext, task: bool = False) -> str:
    tight = all(_tight(item) for item in items)
    rendered = []
    for number, item in enumerate(items):
        marker = markers(number)
        blocks = children(item)
        if tight:
            body = "\n".join(part for part in (ctx.blocks([block]) for block in blocks) if part)
        else:
            body = ctx.blocks(blocks)
        if task:
            checkbox = "[x]" if attrs(item).get("checked") else "[ ]"
            body = f"{checkbox} {body}" if body else checkbox
        rendered.append(indent_block(body, marker, " " * len(marker)) if body else marker.rstrip())
    return ("\n" if tight else "\n\n").join(rendered)


def bullet_list(node: Node, ctx: RenderContext) -> str:
    bullet = "* " if ctx.list_alternate else "- "
    return _list(children(node), lambda _n: bullet, ctx)


def task_list(node: Node, ctx: RenderContext) -> str:
    bullet = "* " if ctx.list_alternate else "- "
    return _list(children(node), lambda _n: bullet, ctx, task=True)


def ordered_list(node: Node, ctx: RenderContext) -> str:
    start = attrs(node).get("start")
    start = start if isinstance(start, int) and 0 <= start < 10**9 else 1
    delimiter = ")" if ctx.list_alternate else "."
    return _list(children(node), lambda n: f"{start + n}{delimiter} ", ctx)


def list_item(node: Node, ctx: RenderContext) -> str:
    """A list item outside a list (not in Docmost's schema): its content."""
    return ctx.blocks(children(node))


# ---- callouts, details, math ------------------------------------------------------------------


def _callout_depth(node: Node) -> int:
    inner = max((_callout_depth(child) for child in children(node)), default=0)
    return inner + (1 if node.get("type") == "callout" else 0)


def callout(node: Node, ctx: RenderContext) -> str:
    a = attrs(node)
    kind = CALLOUT_TYPES.get(str(a.get("type") or "info"), "info")
    content = ctx.blocks(children(node))
    icon = str(a.get("icon") or "").strip()
    if icon:
        ctx.use_jsx()
        ctx.imports.add(ADMONITION_IMPORT)
        return jsx.block("Admonition", {"type": kind, "icon": icon}, content)
    fence = ":" * (2 + _callout_depth(node))  # an outer admonition needs more colons than one inside
    return f"{fence}{kind}\n\n{content}\n\n{fence}" if content else f"{fence}{kind}\n{fence}"


def details(node: Node, ctx: RenderContext) -> str:
    summary = next((c for c in children(node) if c.get("type") == "detailsSummary"), None)
    content_nodes = [c for c in children(node) if c.get("type") != "detailsSummary"]
    label = ctx.inline(children(summary)) if summary is not None else ""
    body = ctx.blocks(content_nodes)
    ctx.use_jsx()
    opening = jsx.open_tag("details", {"open": bool(attrs(node).get("open"))})
    return (
        f"{opening}\n<summary>{label}</summary>\n\n{body}\n\n</details>"
        if body
        else (f"{opening}\n<summary>{label}</summary>\n</details>")
    )


def details_content(node: Node, ctx: RenderContext) -> str:
    return ctx.blocks(children(node))


def math_block(node: Node, ctx: RenderContext) -> str:
    formula = str(attrs(node).get("text") or text_content(node)).strip("\n")
    if not formula.strip():
        return ""
    if ctx.options.math == "katex":
        return f"$$\n{formula}\n$$"
    return code_fence(formula, "latex")


# ---- layout blocks ----------------------------------------------------------------------------


def subpages(_node: Node, ctx: RenderContext) -> str:
    lines = []
    for child in ctx.resolver.children():
        label = f"{child.icon} {child.title}" if child.icon else child.title
        lines.append(f"- [{escape_text(label, in_link=True)}]({link_destination(child.url)})")
    return "\n".join(lines)


def columns(node: Node, ctx: RenderContext) -> str:
    layout = attrs(node).get("layout")
    layout = layout if layout in COLUMN_LAYOUTS else None
    ctx.use_jsx()
    parts = [column(child, ctx) for child in children(node)]
    return jsx.block("div", {"className": "docmost-columns", "data-layout": layout}, "\n".join(parts))


def column(node: Node, ctx: RenderContext) -> str:
    ctx.use_jsx()
    return jsx.block("div", {"className": "docmost-column"}, ctx.blocks(children(node)))


def page_break(_node: Node, ctx: RenderContext) -> str:
    ctx.use_jsx()
    return jsx.void_tag("div", {"className": "docmost-page-break"})


def transclusion_source(node: Node, ctx: RenderContext) -> str:
    ctx.use_jsx()
    return jsx.block("div", {"className": "docmost-synced-block"}, ctx.blocks(children(node)))


def transclusion_reference(node: Node, ctx: RenderContext) -> str:
    """A synced block shows its source's content, wherever the source is."""
    a = attrs(node)
    ctx.use_jsx()
    nodes = None
    if ctx.transclusion_depth < MAX_TRANSCLUSION_DEPTH:
        nodes = ctx.resolver.transclusion(
            str(a.get("sourcePageId") or ""), str(a.get("transclusionId") or "")
        )
    if nodes is None:
        content = "*Synced block not available.*"
    else:
        ctx.transclusion_depth += 1
        try:
            content = ctx.blocks(nodes)
        finally:
            ctx.transclusion_depth -= 1
    return jsx.block("div", {"className": "docmost-synced-block"}, content)


def base(node: Node, ctx: RenderContext) -> str:
    """A database embed: a link to the database page (its rows are not part of a page's content)."""
    target = ctx.resolver.page(attrs(node).get("pageId"), None, None)
    title = PRIVATE_PAGE if target.private else (target.title or "Database")
    if target.url is None:
        return f"📊 {escape_text(title)}"
    return f"📊 [{escape_text(title, in_link=True)}]({link_destination(target.url)})"


def footnotes(node: Node, ctx: RenderContext) -> str:
    definitions = []
    for number, note in enumerate(children(node), start=1):
        a = attrs(note)
        label = footnote_label(ctx, a.get("data-id"), number)
        body = ctx.blocks(children(note))
        definitions.append(indent_block(body or "\u200b", f"[^{label}]: ", "    "))
    return "\n\n".join(definitions)
