"""Docmost's markdown export → the editor's node types (ProseMirror JSON), so that ``convert``
renders through the same ``render/`` as ``sync`` and nothing is escaped or resolved twice.

markdown-it-py parses CommonMark with GFM tables and strikethrough, and its plugins the rest of
what Docmost's export writes: ``:::type`` callouts, ``$…$``/``$$…$$`` math (every backslash
doubled by Docmost's exporter), ``- [x]`` tasks and ``[^n]`` footnotes; ``==highlight==`` is
found in the text nodes. Raw
HTML blocks (tables with merged cells or lists in cells, ``<details>``) are read with the
standard library's HTML parser; inline ``<sub>``, ``<sup>``, ``<u>``, ``<mark>``, ``<br>`` become
marks and breaks; any other markup is kept as the text it is (Docmost escapes what its users
type, so raw markup in an export is Docmost's own or someone's attack, and text is safe either way).

References become the URLs the server's JSON holds, for the one resolver both commands share:
a link to another page of the export (relative, percent-encoded, by its place in the ZIP) becomes
``/p/<slugId>``; an attachment (``files/<id>/<name>``) becomes ``/api/files/<id>/<name>``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

Node = dict[str, Any]
LinkTarget = Callable[[str], str]
"""A link destination of the export → the URL to hand the renderer."""

CALLOUTS = ("info", "note", "success", "warning", "danger", "default", "tip", "caution")
ATTACHMENT = re.compile(r"(?:^|/)(?:api/)?files/([0-9a-fA-F-]{36})/([^/?#]+)$")
_INLINE_MARKS = {"sub": "subscript", "sup": "superscript", "u": "underline", "mark": "highlight",
                 "s": "strike", "del": "strike", "b": "bold", "strong": "bold", "i": "italic", "em": "italic",
                 "code": "code"}  # fmt: skip
_TOKEN_MARKS = {"strong": "bold", "em": "italic", "s": "strike"}
_HIGHLIGHT = re.compile(r"==(?=\S)(.+?)(?<=\S)==")
# A bare web address in the text is how the export writes a link whose text is its address (and
# an embed): a link again.
_BARE_URL = re.compile(r"(?<![\w/(\[\"'=])https?://[^\s<>()\[\]\"']+")


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    md.use(footnote_plugin).use(tasklists_plugin)
    md.use(dollarmath_plugin, allow_space=True, allow_digits=True, double_inline=True)
    for kind in CALLOUTS:
        md.use(container_plugin, name=kind)
    return md


_MARKDOWN = _parser()


def attachment_url(destination: str) -> str | None:
    """``/api/files/<id>/<name>`` for an export's reference to an uploaded file, else None."""
    match = ATTACHMENT.search(unquote(urlsplit(destination.strip()).path))
    return f"/api/files/{match.group(1)}/{match.group(2)}" if match else None


def _text(value: str, marks: list[Node]) -> Node:
    node: Node = {"type": "text", "text": value}
    if marks:
        node["marks"] = [dict(mark) for mark in marks]
    return node


def _math(content: str) -> str:
    """Docmost's exporter doubles every backslash of a formula (``\\\\frac``): undone."""
    return content.replace("\\\\", "\\").strip()


class _Inline:
    """markdown-it's inline tokens of one block → text nodes with marks, and inline nodes."""

    def __init__(self, link: LinkTarget) -> None:
        self.link = link
        self.out: list[Node] = []
        self.marks: list[Node] = []
        self.link_start = 0

    def _open(self, mark: Node) -> None:
        self.marks.append(mark)

    def _close(self, kind: str) -> None:
        for index in range(len(self.marks) - 1, -1, -1):
            if self.marks[index]["type"] == kind:
                del self.marks[index]
                return

    def run(self, tokens: list[Token]) -> list[Node]:
        for token in tokens:
            kind = token.type
            if kind == "text":
                self._highlighted(token.content)
            elif kind == "softbreak":
                self.out.append(_text(" ", self.marks))
            elif kind == "hardbreak":
                self.out.append({"type": "hardBreak"})
            elif kind == "code_inline":
                self.out.append(_text(token.content, [*self.marks, {"type": "code"}]))
            elif kind.endswith("_open") and kind[: -len("_open")] in _TOKEN_MARKS:
                self._open({"type": _TOKEN_MARKS[kind[: -len("_open")]]})
            elif kind.endswith("_close") and kind[: -len("_close")] in _TOKEN_MARKS:
                self._close(_TOKEN_MARKS[kind[: -len("_close")]])
            elif kind == "link_open":
                self._open({"type": "link", "attrs": {"href": self.link(str(token.attrs.get("href") or ""))}})
                self.link_start = len(self.out)
            elif kind == "link_close":
                if len(self.out) == self.link_start:
                    self.out.append(_text("", self.marks))  # "[]()": nothing to show, but a link to report
                self._close("link")
            elif kind == "image":
                self.out.append(self._image(token))
            elif kind in ("math_inline", "math_inline_double"):
                self.out.append({"type": "mathInline", "attrs": {"text": _math(token.content)}})
            elif kind == "footnote_ref":
                number = int(token.meta.get("id", 0)) + 1
                self.out.append({"type": "footnoteReference", "attrs": {"referenceNumber": number}})
            elif kind == "html_inline":
                self._html(token.content)
            elif token.content:
                self.out.append(_text(token.content, self.marks))
        return self.out

    def _highlighted(self, value: str) -> None:
        """Text, with Docmost's ``==highlight==`` as a highlight mark and bare addresses as links."""
        position = 0
        for match in _HIGHLIGHT.finditer(value):
            if match.start() > position:
                self._linked(value[position : match.start()], self.marks)
            self._linked(match.group(1), [*self.marks, {"type": "highlight"}])
            position = match.end()
        if position < len(value):
            self._linked(value[position:], self.marks)

    def _linked(self, value: str, marks: list[Node]) -> None:
        in_link = any(mark["type"] == "link" for mark in marks)
        position = 0
        for match in [] if in_link else _BARE_URL.finditer(value):
            if match.start() > position:
                self.out.append(_text(value[position : match.start()], marks))
            url = match.group(0)
            self.out.append(_text(url, [*marks, {"type": "link", "attrs": {"href": self.link(url)}}]))
            position = match.end()
        if position < len(value):
            self.out.append(_text(value[position:], marks))

    def _image(self, token: Token) -> Node:
        src = str(token.attrs.get("src") or "")
        alt = "".join(child.content for child in token.children or [])
        uploaded = attachment_url(src)
        node: Node = {"type": "image", "attrs": {"src": uploaded or src, "alt": alt}}
        if uploaded:
            node["attrs"]["attachmentId"] = uploaded.split("/")[3]
        return node

    def _html(self, markup: str) -> None:
        tag = re.match(r"^<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^<>]*?(/?)>$", markup.strip())
        if tag is None:
            self.out.append(_text(markup, self.marks))  # not a tag Docmost writes: its text
            return
        closing, name = tag.group(1) == "/", tag.group(2).lower()
        if name == "br":
            self.out.append({"type": "hardBreak"})
        elif name in _INLINE_MARKS and closing:
            self._close(_INLINE_MARKS[name])
        elif name in _INLINE_MARKS:
            self._open({"type": _INLINE_MARKS[name]})
        elif name == "input":
            return  # a task's checkbox (the task item carries it)
        else:
            self.out.append(_text(markup, self.marks))


_PLAYERS = {"video": ("mp4", "webm", "mov", "m4v", "ogv"), "audio": ("mp3", "wav", "ogg", "oga", "m4a", "flac"),
            "pdf": ("pdf",)}  # fmt: skip


def _file_block(inline: list[Node]) -> Node | None:
    """A paragraph that is one link to an uploaded file is how the export writes a file, a
    video, an audio or a PDF block: that block again."""
    if len(inline) != 1 or inline[0]["type"] != "text":
        return None
    marks = inline[0].get("marks") or []
    href = str(marks[0].get("attrs", {}).get("href") or "") if len(marks) == 1 and marks[0]["type"] == "link" else ""
    match = ATTACHMENT.search(href)
    if not href.startswith("/api/files/") or match is None:
        return None
    attachment_id, name = match.group(1), unquote(match.group(2))
    extension = name.rpartition(".")[2].lower()
    for kind, extensions in _PLAYERS.items():
        if extension in extensions:
            return {"type": kind, "attrs": {"src": href, "attachmentId": attachment_id, "name": name}}
    return {"type": "attachment", "attrs": {"url": href, "attachmentId": attachment_id, "name": inline[0]["text"] or name}}


def _paragraphs(inline: list[Node]) -> list[Node]:
    """A paragraph's inline nodes as blocks: images stand alone, as in Docmost's editor, and so
    does a file."""
    file_block = _file_block(inline)
    if file_block is not None:
        return [file_block]
    blocks: list[Node] = []
    run: list[Node] = []
    for node in inline:
        if node["type"] == "image":
            if any(n["type"] != "text" or n["text"].strip() for n in run):
                blocks.append({"type": "paragraph", "content": run})
            run = []
            blocks.append(node)
        else:
            run.append(node)
    if any(n["type"] != "text" or n["text"].strip() for n in run) or not blocks:
        blocks.append({"type": "paragraph", "content": run})
    return blocks


_CONTAINER_CLOSES = frozenset({
    "bullet_list_close", "ordered_list_close", "list_item_close", "blockquote_close", "table_close",
    "tr_close", "th_close", "td_close", "footnote_block_close", "footnote_close",
})  # fmt: skip


class _Blocks:
    """markdown-it's block tokens → block nodes, with a stack of open containers."""

    def __init__(self, link: LinkTarget) -> None:
        self.link = link
        self.root: Node = {"type": "doc", "content": []}
        self.stack: list[Node] = [self.root]

    def _append(self, node: Node) -> None:
        self.stack[-1].setdefault("content", []).append(node)

    def _push(self, node: Node) -> None:
        self._append(node)
        self.stack.append(node)

    def _pop(self) -> None:
        if len(self.stack) > 1:
            self.stack.pop()

    def inline(self, token: Token) -> list[Node]:
        return _Inline(self.link).run(token.children or [])

    def run(self, tokens: list[Token]) -> Node:
        index = 0
        while index < len(tokens):
            token = tokens[index]
            kind = token.type
            if kind == "paragraph_open":
                inline = self.inline(tokens[index + 1])
                if self.stack[-1]["type"] in ("tableCell", "tableHeader", "listItem", "taskItem"):
                    self._append({"type": "paragraph", "content": inline})
                else:
                    for block in _paragraphs(inline):
                        self._append(block)
                index += 3
                continue
            if kind == "heading_open":
                level = int(token.tag[1:])
                self._append({"type": "heading", "attrs": {"level": level}, "content": self.inline(tokens[index + 1])})
                index += 3
                continue
            self._block(token)
            index += 1
        return self.root

    def _block(self, token: Token) -> None:
        kind = token.type
        if kind == "bullet_list_open":
            tasks = "contains-task-list" in str(token.attrs.get("class") or "")
            self._push({"type": "taskList" if tasks else "bulletList", "content": []})
        elif kind == "ordered_list_open":
            self._push({"type": "orderedList", "attrs": {"start": int(token.attrs.get("start") or 1)}, "content": []})
        elif kind == "list_item_open":
            if self.stack[-1]["type"] == "taskList":
                checked = "checked" in str(token.attrs.get("data-checked") or "") or self._checked(token)
                self._push({"type": "taskItem", "attrs": {"checked": checked}, "content": []})
            else:
                self._push({"type": "listItem", "content": []})
        elif kind == "blockquote_open":
            self._push({"type": "blockquote", "content": []})
        elif kind.startswith("container_") and kind.endswith("_open"):
            self._push({"type": "callout", "attrs": {"type": kind[len("container_") : -len("_open")]}, "content": []})
        elif kind == "table_open":
            self._push({"type": "table", "content": []})
        elif kind == "tr_open":
            self._push({"type": "tableRow", "content": []})
        elif kind in ("th_open", "td_open"):
            cell: Node = {"type": "tableHeader" if kind == "th_open" else "tableCell", "attrs": {"colspan": 1, "rowspan": 1}}
            self._push(cell)
            cell["content"] = []
        elif kind == "inline" and self.stack[-1]["type"] in ("tableCell", "tableHeader"):
            self._append({"type": "paragraph", "content": self.inline(token)})
        elif kind in ("fence", "code_block"):
            language = token.info.strip().split(" ")[0] if kind == "fence" else ""
            code = token.content.removesuffix("\n")
            self._append({"type": "codeBlock", "attrs": {"language": language}, "content": [{"type": "text", "text": code}] if code else []})
        elif kind in ("math_block", "math_block_label"):
            self._append({"type": "mathBlock", "attrs": {"text": _math(token.content)}})
        elif kind == "hr":
            self._append({"type": "horizontalRule"})
        elif kind == "html_block":
            for node in html_nodes(token.content, self.link):
                self._append(node)
        elif kind == "footnote_block_open":
            self._push({"type": "footnotes", "content": []})
        elif kind == "footnote_open":
            self._push({"type": "footnote", "attrs": {"data-id": str(int(token.meta.get("id", 0)) + 1)}, "content": []})
        elif kind in _CONTAINER_CLOSES or (kind.startswith("container_") and kind.endswith("_close")):
            self._pop()

    @staticmethod
    def _checked(token: Token) -> bool:
        return bool(token.meta.get("checked")) if token.meta else False


def page_content(markdown: str, link: LinkTarget) -> Node:
    """One exported page (its title heading already removed) as the editor's JSON."""
    tokens = _MARKDOWN.parse(markdown)
    _mark_task_items(tokens)
    return _Blocks(link).run(tokens)


def _mark_task_items(tokens: list[Token]) -> None:
    """tasklists_plugin says a task's state in its inline checkbox: moved onto the list item."""
    for index, token in enumerate(tokens):
        if token.type != "list_item_open":
            continue
        for following in tokens[index + 1 : index + 4]:
            if following.type == "inline" and following.children:
                first = following.children[0]
                if first.type == "html_inline" and "task-list-item-checkbox" in first.content:
                    token.meta = {**(token.meta or {}), "checked": 'checked="checked"' in first.content}
                break


# ---- raw HTML blocks --------------------------------------------------------------------------


class _Element:
    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag = tag
        self.attrs = attrs
        self.children: list[_Element | str] = []


_VOID = frozenset({"br", "hr", "img", "input", "col", "source", "wbr"})


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Element("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = _Element(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(element)
        if tag not in _VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


_BLOCK_TAGS = frozenset({"p", "div", "table", "ul", "ol", "li", "details", "summary", "blockquote", "pre",
                         "h1", "h2", "h3", "h4", "h5", "h6", "hr", "tbody", "thead", "tr", "td", "th"})  # fmt: skip


def html_nodes(markup: str, link: LinkTarget) -> list[Node]:
    """A raw HTML block of the export (tables, details) as block nodes."""
    tree = _Tree()
    tree.feed(markup)
    tree.close()
    return _html_blocks(tree.root.children, link)


def _html_blocks(items: list[_Element | str], link: LinkTarget) -> list[Node]:
    blocks: list[Node] = []
    run: list[_Element | str] = []

    def flush() -> None:
        inline = _html_inline(run, [], link)
        if any(n["type"] != "text" or n["text"].strip() for n in inline):
            blocks.append({"type": "paragraph", "content": inline})
        run.clear()

    for item in items:
        if isinstance(item, str) or item.tag not in _BLOCK_TAGS:
            run.append(item)
            continue
        flush()
        blocks.extend(_html_block(item, link))
    flush()
    return blocks


def _html_block(element: _Element, link: LinkTarget) -> list[Node]:
    tag = element.tag
    if tag in ("div", "tbody", "thead"):
        return _html_blocks(element.children, link)
    if tag == "p":
        return [{"type": "paragraph", "content": _html_inline(element.children, [], link)}]
    if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
        return [{"type": "heading", "attrs": {"level": int(tag[1])}, "content": _html_inline(element.children, [], link)}]
    if tag == "hr":
        return [{"type": "horizontalRule"}]
    if tag == "blockquote":
        return [{"type": "blockquote", "content": _html_blocks(element.children, link)}]
    if tag == "pre":
        return [{"type": "codeBlock", "attrs": {"language": ""}, "content": [{"type": "text", "text": _plain(element)}]}]
    if tag in ("ul", "ol"):
        items = [c for c in element.children if isinstance(c, _Element) and c.tag == "li"]
        kind = "orderedList" if tag == "ol" else "bulletList"
        return [{"type": kind, "content": [{"type": "listItem", "content": _html_blocks(i.children, link)} for i in items]}]
    if tag == "li":
        return _html_blocks(element.children, link)
    if tag == "details":
        summary = next((c for c in element.children if isinstance(c, _Element) and c.tag == "summary"), None)
        rest = [c for c in element.children if c is not summary]
        nodes: list[Node] = []
        if summary is not None:
            nodes.append({"type": "detailsSummary", "content": _html_inline(summary.children, [], link)})
        nodes.append({"type": "detailsContent", "content": _html_blocks(rest, link)})
        return [{"type": "details", "content": nodes}]
    if tag == "summary":
        return [{"type": "paragraph", "content": _html_inline(element.children, [], link)}]
    if tag == "table":
        return [_html_table(element, link)]
    return _html_blocks(element.children, link)


def _html_table(element: _Element, link: LinkTarget) -> Node:
    rows: list[Node] = []

    def walk(node: _Element) -> None:
        for child in node.children:
            if not isinstance(child, _Element):
                continue
            if child.tag == "tr":
                cells = []
                for cell in child.children:
                    if isinstance(cell, _Element) and cell.tag in ("td", "th"):
                        attrs: Node = {
                            "colspan": _span(cell.attrs.get("colspan")),
                            "rowspan": _span(cell.attrs.get("rowspan")),
                        }
                        background = re.search(r"background-color:\s*([^;]+)", cell.attrs.get("style", ""))
                        if background:
                            attrs["backgroundColor"] = background.group(1).strip()
                        content = _html_blocks(cell.children, link) or [{"type": "paragraph", "content": []}]
                        cells.append({"type": "tableHeader" if cell.tag == "th" else "tableCell", "attrs": attrs, "content": content})
                rows.append({"type": "tableRow", "content": cells})
            else:
                walk(child)

    walk(element)
    return {"type": "table", "content": rows}


def _span(value: str | None) -> int:
    return int(value) if value and value.isdigit() and 0 < int(value) < 1000 else 1


def _plain(element: _Element) -> str:
    return "".join(c if isinstance(c, str) else _plain(c) for c in element.children)


def _html_inline(items: list[_Element | str], marks: list[Node], link: LinkTarget) -> list[Node]:
    out: list[Node] = []
    for item in items:
        if isinstance(item, str):
            if item:
                out.append(_text(item, marks))
            continue
        tag = item.tag
        if tag == "br":
            out.append({"type": "hardBreak"})
        elif tag in _INLINE_MARKS:
            out.extend(_html_inline(item.children, [*marks, {"type": _INLINE_MARKS[tag]}], link))
        elif tag == "a":
            mark = {"type": "link", "attrs": {"href": link(item.attrs.get("href", ""))}}
            out.extend(_html_inline(item.children, [*marks, mark], link))
        elif tag == "img":
            src = item.attrs.get("src", "")
            out.append({"type": "image", "attrs": {"src": attachment_url(src) or src, "alt": item.attrs.get("alt", "")}})
        else:
            out.extend(_html_inline(item.children, marks, link))
    return out
