"""Docmost's exports → the editor's node types (ProseMirror JSON), so that ``convert`` renders
through the same ``render/`` as ``sync`` and nothing is escaped or resolved twice.

The HTML export is the editor's own HTML (each node an element, Docmost's nodes named by
``data-type`` with their attributes as ``data-*``): read with the standard library's HTML parser
and mapped back node for node (``html_page_content``). The markdown export:

pyromark (Python's binding of pulldown-cmark, the CommonMark parser of rustdoc, about twenty
times faster than markdown-it-py on an export's pages) parses CommonMark with GFM tables,
strikethrough, ``- [x]`` tasks, ``[^n]`` footnotes and ``$…$``/``$$…$$`` math (every backslash
doubled by Docmost's exporter). Docmost's ``:::type`` callouts are fenced by whole lines, so they
are found before parsing and handed to the parser as block quotes that name their type;
``==highlight==`` is found in the text nodes. Raw HTML blocks (tables with merged cells or lists
in cells, ``<details>``) are read as the HTML export is; inline ``<sub>``,
``<sup>``, ``<u>``, ``<mark>``, ``<br>`` become marks and breaks; any other markup is kept as the
text it is (Docmost escapes what its users type, so raw markup in an export is Docmost's own or
someone's attack, and text is safe either way).

References become the URLs the server's JSON holds, for the one resolver both commands share:
a link to another page of the export (relative, percent-encoded, by its place in the ZIP) becomes
``/p/<slugId>``; an attachment (``files/<id>/<name>``) becomes ``/api/files/<id>/<name>``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urlsplit

import pyromark

Node = dict[str, Any]
Event = Any  # one of pyromark's events: a str, or a one-key dict
LinkTarget = Callable[[str], str]
"""A link destination of the export → the URL to hand the renderer."""

CALLOUTS = ("info", "note", "success", "warning", "danger", "default", "tip", "caution")
ATTACHMENT = re.compile(r"(?:^|/)(?:api/)?files/([0-9a-fA-F-]{36})/([^/?#]+)$")
_INLINE_MARKS = {"sub": "subscript", "sup": "superscript", "u": "underline", "mark": "highlight",
                 "s": "strike", "del": "strike", "b": "bold", "strong": "bold", "i": "italic", "em": "italic",
                 "code": "code"}  # fmt: skip
_EVENT_MARKS = {"Strong": "bold", "Emphasis": "italic", "Strikethrough": "strike"}
_HIGHLIGHT = re.compile(r"==(?=\S)(.+?)(?<=\S)==")
# A bare web address in the text is how the export writes a link whose text is its address (and
# an embed): a link again.
_BARE_URL = re.compile(r"(?<![\w/(\[\"'=])https?://[^\s<>()\[\]\"']+")
_OPTIONS = (
    pyromark.Options.ENABLE_TABLES | pyromark.Options.ENABLE_STRIKETHROUGH | pyromark.Options.ENABLE_TASKLISTS
    | pyromark.Options.ENABLE_FOOTNOTES | pyromark.Options.ENABLE_MATH
)  # fmt: skip


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


# ---- blocks Docmost fences by whole lines ----------------------------------------------------

_FENCE = re.compile(r"^ {0,3}(`{3,}(?!.*`)|~{3,})")
_CALLOUT_OPEN = re.compile(r"^ {0,3}:::[ \t]*(" + "|".join(CALLOUTS) + r")(?:[ \t].*)?$")
_CALLOUT_CLOSE = re.compile(r"^ {0,3}:::[ \t]*$")
_CALLOUT_MARK = re.compile(r"^<!--docmost-syncd callout (" + "|".join(CALLOUTS) + r")-->\n?$")
_MATH_FENCE = re.compile(r"^ {0,3}\$\$[ \t]*$")


def _closes_fence(line: str, fence: str) -> bool:
    """Whether ``line`` closes the code fence ``fence`` opened: the same character, at least as many."""
    return re.match(r"^ {0,3}" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$", line) is not None


def _line_blocks(markdown: str) -> str:
    """Docmost's blocks fenced by whole lines, made plain to a CommonMark parser (code fences
    are left alone): each ``:::type`` … ``:::`` callout, nested ones too, becomes a block quote
    whose first line is a comment naming its type; each ``$$`` … ``$$`` formula gets blank lines
    around it, so that it is a paragraph of its own (a math block) however the export wrote it."""
    if ":::" not in markdown and "$$" not in markdown:
        return markdown
    out: list[str] = []
    depth = 0
    fence = ""
    math = False
    for line in markdown.split("\n"):
        prefix = "> " * depth
        if fence:
            if _closes_fence(line, fence):
                fence = ""
        elif _MATH_FENCE.match(line):
            math = not math
            out.extend([prefix, prefix + line] if math else [prefix + line, prefix])
            continue
        elif math:
            pass
        elif (opened := _FENCE.match(line)) is not None:
            fence = opened.group(1).strip()
        elif (callout := _CALLOUT_OPEN.match(line)) is not None:
            out.append(prefix)  # a quote cannot continue a paragraph or a list lazily
            depth += 1
            out.append("> " * depth + f"<!--docmost-syncd callout {callout.group(1)}-->")
            continue
        elif depth and _CALLOUT_CLOSE.match(line):
            depth -= 1
            out.append("> " * depth)
            continue
        out.append(prefix + line)
    return "\n".join(out)


_TABLE_ROW = re.compile(r"^ {0,3}\|.*\|[ \t]*$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_DELIMITER_CELL = re.compile(r"^[ \t]*:?-+:?[ \t]*$")


def _cells(row: str) -> list[str]:
    return _CELL_SPLIT.split(row.strip())[1:-1]


def repair_tables(markdown: str) -> tuple[str, int]:
    """Docmost's markdown export writes some tables (an HTML table whose rows differ in cells)
    with a delimiter row no markdown reader takes, ``| --- | --- |     | --- |``: an empty cell,
    or more cells than the header. Published as it is, the table is a paragraph of pipes. Such a
    row is written again with one ``---`` per header cell (rows then keep their first cells, as
    GitHub's tables do). Returns the text and the number of tables repaired; code is left alone."""
    if "|" not in markdown:
        return markdown, 0
    lines = markdown.split("\n")
    repaired = 0
    fence = ""
    for number, line in enumerate(lines[:-1]):
        if fence:
            if _closes_fence(line, fence):
                fence = ""
            continue
        if (opened := _FENCE.match(line)) is not None:
            fence = opened.group(1).strip()
            continue
        delimiter = lines[number + 1]
        if not (_TABLE_ROW.match(line) and _TABLE_ROW.match(delimiter)):
            continue
        header, cells = _cells(line), _cells(delimiter)
        if not header or not any(_DELIMITER_CELL.match(cell) for cell in cells):
            continue
        if not all(_DELIMITER_CELL.match(cell) or not cell.strip() for cell in cells):
            continue
        if len(cells) == len(header) and all(_DELIMITER_CELL.match(cell) for cell in cells):
            continue  # a table as it should be
        lines[number + 1] = "| " + " | ".join("---" for _cell in header) + " |"
        repaired += 1
    return "\n".join(lines), repaired


# ---- inline -----------------------------------------------------------------------------------


class _Inline:
    """pyromark's inline events of one block → text nodes with marks, and inline nodes."""

    def __init__(self, link: LinkTarget, footnote_number: Callable[[str], int]) -> None:
        self.link = link
        self.footnote_number = footnote_number
        self.out: list[Node] = []
        self.marks: list[Node] = []
        self.link_starts: list[int] = []
        self.pending = ""  # text events arrive in pieces: joined before highlights are looked for
        self.image: Node | None = None  # an image whose description is being read
        self.alt: list[str] = []

    def _open(self, mark: Node) -> None:
        self.marks.append(mark)

    def _close(self, kind: str) -> None:
        for index in range(len(self.marks) - 1, -1, -1):
            if self.marks[index]["type"] == kind:
                del self.marks[index]
                return

    def flush(self) -> list[Node]:
        if self.pending:
            self._highlighted(self.pending)
            self.pending = ""
        return self.out

    def add(self, event: Event) -> None:
        if self.image is not None:
            self._alt(event)
            return
        if isinstance(event, dict) and "Text" in event:
            self.pending += event["Text"]
            return
        self.flush()
        if event == "SoftBreak":
            self.out.append(_text(" ", self.marks))
        elif event == "HardBreak":
            self.out.append({"type": "hardBreak"})
        elif not isinstance(event, dict):
            return
        elif "Code" in event:
            self.out.append(_text(event["Code"], [*self.marks, {"type": "code"}]))
        elif "InlineMath" in event:
            self.out.append({"type": "mathInline", "attrs": {"text": _math(event["InlineMath"])}})
        elif "DisplayMath" in event:  # a math block if its paragraph holds nothing else
            self.out.append({"type": "mathInline", "attrs": {"text": _math(event["DisplayMath"])}, "display": True})
        elif "InlineHtml" in event:
            self._html(event["InlineHtml"])
        elif "FootnoteReference" in event:
            number = self.footnote_number(event["FootnoteReference"])
            self.out.append({"type": "footnoteReference", "attrs": {"referenceNumber": number}})
        elif "Start" in event:
            self._start(event["Start"])
        elif "End" in event:
            self._end(event["End"])

    def _start(self, tag: Any) -> None:
        if isinstance(tag, str) and tag in _EVENT_MARKS:
            self._open({"type": _EVENT_MARKS[tag]})
        elif isinstance(tag, dict) and "Link" in tag:
            self._open({"type": "link", "attrs": {"href": self.link(tag["Link"]["dest_url"])}})
            self.link_starts.append(len(self.out))
        elif isinstance(tag, dict) and "Image" in tag:
            self.image = {"type": "image", "attrs": {"src": tag["Image"]["dest_url"]}}
            self.alt = []

    def _end(self, tag: Any) -> None:
        if isinstance(tag, str) and tag in _EVENT_MARKS:
            self._close(_EVENT_MARKS[tag])
        elif tag == "Link":
            if self.link_starts and len(self.out) == self.link_starts.pop():
                self.out.append(_text("", self.marks))  # "[]()": nothing to show, but a link to report
            self._close("link")

    def _alt(self, event: Event) -> None:
        """An image's description is plain text (its alt), whatever marks it was written with."""
        assert self.image is not None
        if event == {"End": "Image"}:
            src = self.image["attrs"]["src"]
            uploaded = attachment_url(src)
            node: Node = {"type": "image", "attrs": {"src": uploaded or src, "alt": "".join(self.alt)}}
            if uploaded:
                node["attrs"]["attachmentId"] = uploaded.split("/")[3]
            self.out.append(node)
            self.image = None
        elif isinstance(event, dict):
            value = event.get("Text", event.get("Code", event.get("InlineMath")))
            if isinstance(value, str):
                self.alt.append(value)
        elif event in ("SoftBreak", "HardBreak"):
            self.alt.append(" ")

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


def _math_blocks(inline: list[Node]) -> list[Node] | None:
    """A paragraph of nothing but ``$$…$$`` formulas is how the export writes math blocks."""
    formulas = [node for node in inline if node.pop("display", False)]
    blank = all(n in formulas or (n["type"] == "text" and not n["text"].strip()) for n in inline)
    return [{"type": "mathBlock", "attrs": node["attrs"]} for node in formulas] if formulas and blank else None


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


# ---- blocks -----------------------------------------------------------------------------------

_PLAIN_PARAGRAPH_IN = ("tableCell", "tableHeader", "listItem", "taskItem")
# The events whose start pushes a node on the stack and whose end pops it.
_CONTAINERS = frozenset({"List", "Item", "BlockQuote", "Table", "TableHead", "TableRow", "TableCell",
                         "FootnoteDefinition"})  # fmt: skip


class _Blocks:
    """pyromark's events → block nodes, with a stack of open containers. A tight list's items
    and a table's cells hold their text without a paragraph event: one is opened for it."""

    def __init__(self, link: LinkTarget) -> None:
        self.link = link
        self.root: Node = {"type": "doc", "content": []}
        self.stack: list[Node] = [self.root]
        self.inline: _Inline | None = None
        self.code: list[str] | None = None  # the text of an open code block
        self.html: list[str] | None = None  # the lines of an open HTML block
        self.footnotes: dict[str, int] = {}  # label → number, in order of first reference
        self.definitions: dict[str, Node] = {}

    def _append(self, node: Node) -> None:
        self.stack[-1].setdefault("content", []).append(node)

    def _push(self, node: Node) -> None:
        self._append(node)
        self.stack.append(node)

    def _pop(self) -> Node:
        return self.stack.pop() if len(self.stack) > 1 else self.root

    def _footnote_number(self, label: str) -> int:
        return self.footnotes.setdefault(label, len(self.footnotes) + 1)

    def _inline(self) -> _Inline:
        if self.inline is None:
            self.inline = _Inline(self.link, self._footnote_number)
        return self.inline

    def _end_text(self) -> None:
        """Text a tight list item or a cell held without a paragraph, as its paragraph."""
        if self.inline is not None:
            inline, self.inline = self.inline.flush(), None
            if inline:
                self._paragraph(inline, plain=True)

    def _paragraph(self, inline: list[Node], *, plain: bool) -> None:
        for block in _math_blocks(inline) or ([{"type": "paragraph", "content": inline}] if plain else _paragraphs(inline)):
            self._append(block)

    def run(self, events: Iterable[Event]) -> Node:
        for event in events:
            if isinstance(event, str):  # SoftBreak, HardBreak, Rule
                if event == "Rule":
                    self._end_text()
                    self._append({"type": "horizontalRule"})
                else:
                    self._inline().add(event)
            elif self.code is not None and "Text" in event:
                self.code.append(event["Text"])
            elif self.html is not None and "Html" in event:
                self.html.append(event["Html"])
            elif "TaskListMarker" in event:
                self.stack[-1]["checked"] = bool(event["TaskListMarker"])
            elif not (
                ("Start" in event and self._block_start(event["Start"]))
                or ("End" in event and self._block_end(event["End"]))
            ):
                self._inline().add(event)  # text, a mark, a link, an image
        self._end_text()
        if self.footnotes:
            defined = [(number, label) for label, number in self.footnotes.items() if label in self.definitions]
            if defined:
                notes = [self.definitions[label] for _number, label in sorted(defined)]
                self.root["content"].append({"type": "footnotes", "content": notes})
        return self.root

    def _block_start(self, tag: Any) -> bool:
        """Open the block ``tag`` starts; False for an inline start (a mark, link or image)."""
        name = next(iter(tag)) if isinstance(tag, dict) else tag
        if name in ("Paragraph", "Heading", "TableCell"):
            self._end_text()
            self.inline = _Inline(self.link, self._footnote_number)
            if name == "TableCell":
                header = self.stack[-1].get("header", False)
                cell: Node = {"type": "tableHeader" if header else "tableCell", "attrs": {"colspan": 1, "rowspan": 1}}
                self._push(cell)
                cell["content"] = []
            return True
        if name not in _CONTAINERS and name not in ("CodeBlock", "HtmlBlock"):
            return False
        self._end_text()
        if name == "List":
            start = tag["List"]
            self._push({"type": "bulletList", "content": []} if start is None else
                       {"type": "orderedList", "attrs": {"start": int(start)}, "content": []})  # fmt: skip
        elif name == "Item":
            self._push({"type": "listItem", "content": []})
        elif name == "BlockQuote":
            self._push({"type": "blockquote", "content": []})
        elif name == "CodeBlock":
            kind = tag["CodeBlock"]
            fenced = isinstance(kind, dict) and isinstance(kind.get("Fenced"), str)
            self.code = [kind["Fenced"].strip().split(" ")[0] if fenced else ""]
        elif name == "HtmlBlock":
            self.html = []
        elif name == "Table":
            self._push({"type": "table", "content": []})
        elif name in ("TableHead", "TableRow"):
            self._push({"type": "tableRow", "header": name == "TableHead", "content": []})
        elif name == "FootnoteDefinition":
            number = self._footnote_number(tag["FootnoteDefinition"])
            note: Node = {"type": "footnote", "attrs": {"data-id": str(number)}, "content": []}
            self.definitions[tag["FootnoteDefinition"]] = note
            self.stack.append(note)
        return True

    def _block_end(self, tag: Any) -> bool:
        name = next(iter(tag)) if isinstance(tag, dict) else tag
        if name in ("Paragraph", "Heading"):
            inline = self.inline.flush() if self.inline is not None else []
            self.inline = None
            if name == "Heading":
                level = int(str(tag["Heading"])[1:])
                _math_blocks(inline)  # a heading's formulas stay inline
                self._append({"type": "heading", "attrs": {"level": level}, "content": inline})
            else:
                self._paragraph(inline, plain=self.stack[-1]["type"] in _PLAIN_PARAGRAPH_IN)
            return True
        if name == "CodeBlock" and self.code is not None:
            language, code = self.code[0], "".join(self.code[1:]).removesuffix("\n")
            self.code = None
            self._append({"type": "codeBlock", "attrs": {"language": language},
                          "content": [{"type": "text", "text": code}] if code else []})  # fmt: skip
            return True
        if name == "HtmlBlock" and self.html is not None:
            markup, self.html = "".join(self.html), None
            callout = _CALLOUT_MARK.match(markup)
            if callout is not None and self.stack[-1]["type"] == "blockquote" and not self.stack[-1]["content"]:
                quote = self.stack[-1]
                content = quote.pop("content")
                quote.update(type="callout", attrs={"type": callout.group(1)}, content=content)
            else:
                for node in html_nodes(markup, self.link):
                    self._append(node)
            return True
        if name not in _CONTAINERS:
            return False
        self._end_text()
        closed = self._pop()
        if name in ("TableHead", "TableRow"):
            del closed["header"]
        elif name == "TableCell" and not closed["content"]:
            closed["content"].append({"type": "paragraph", "content": []})  # the editor's cells hold a block
        elif name == "List" and any(item.get("checked") is not None for item in closed["content"]):
            closed["type"] = "taskList"
            closed["content"] = [
                {"type": "taskItem", "attrs": {"checked": bool(item.get("checked"))}, "content": item["content"]}
                for item in closed["content"]
            ]
        return True


def page_content(markdown: str, link: LinkTarget) -> Node:
    """One exported page (its title heading already removed) as the editor's JSON."""
    blocks = _Blocks(link)
    events = pyromark.events(_line_blocks(markdown), options=_OPTIONS)
    return blocks.run(events)


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
                         "h1", "h2", "h3", "h4", "h5", "h6", "hr", "tbody", "thead", "tr", "td", "th",
                         "video", "audio", "img"})  # fmt: skip
# The editor's nodes that its HTML names with data-type, their attributes as data-* attributes
# (``data-attachment-id`` → ``attachmentId``); each is read back as that node.
_DATA_MEDIA = frozenset({"pdf", "embed", "drawio", "excalidraw", "youtube"})
_DATA_BLOCKS = _DATA_MEDIA | {"subpages", "columns", "column"}
# What a reader never sees: dropped with all it holds (a <script>'s text is not the page's text).
_UNSEEN = frozenset({"script", "style", "head", "title", "template", "noscript", "iframe", "object", "embed"})


def html_nodes(markup: str, link: LinkTarget) -> list[Node]:
    """A raw HTML block of the export (tables, details) as block nodes."""
    tree = _Tree()
    tree.feed(markup)
    tree.close()
    return _html_blocks(tree.root.children, link)


def html_page(document: str) -> tuple[str | None, list[_Element | str]]:
    """A page of Docmost's HTML export (the editor's own HTML in a small document): its title
    (the first heading, else ``<title>``) and its body without the title heading."""
    tree = _Tree()
    tree.feed(document)
    tree.close()
    title = _find(tree.root, "title")
    body = _find(tree.root, "body")
    items = list(body.children if body is not None else tree.root.children)
    while items and isinstance(items[0], str) and not items[0].strip():
        del items[0]
    heading = items[0] if items and isinstance(items[0], _Element) and items[0].tag == "h1" else None
    if heading is not None:
        del items[0]
    # The heading first: Docmost writes the <title> without escaping it ("a <b> c" loses "<b>").
    name = _plain(heading).strip() if heading is not None else ""
    return name or (_plain(title).strip() if title is not None else "") or None, items


def is_html_page(entry: str) -> bool:
    """The entry is a page of the HTML export (the markdown export's pages end in ``.md``)."""
    return entry.lower().endswith(".html")


def html_page_content(document: str, link: LinkTarget) -> Node:
    """One page of Docmost's HTML export as the editor's JSON."""
    return {"type": "doc", "content": _html_blocks(html_page(document)[1], link)}


def _find(element: _Element, tag: str) -> _Element | None:
    for child in element.children:
        if isinstance(child, _Element):
            found = child if child.tag == tag else _find(child, tag)
            if found is not None:
                return found
    return None


def _data_attrs(element: _Element) -> Node:
    """``data-attachment-id="x"`` → ``{"attachmentId": "x"}``, for every data-* but the type."""
    found: Node = {}
    for name, value in element.attrs.items():
        if name.startswith("data-") and name != "data-type":
            head, *rest = name[len("data-") :].split("-")
            found[head + "".join(part.title() for part in rest)] = value
    return found


def _html_blocks(items: list[_Element | str], link: LinkTarget) -> list[Node]:
    blocks: list[Node] = []
    run: list[_Element | str] = []

    def flush() -> None:
        inline = _html_inline(run, [], link)
        if any(n["type"] != "text" or n["text"].strip() for n in inline):
            blocks.extend(_paragraphs(inline))
        run.clear()

    for item in items:
        if isinstance(item, _Element) and item.tag in _UNSEEN:
            continue
        if isinstance(item, str) or (item.tag not in _BLOCK_TAGS and item.attrs.get("data-type") not in _DATA_BLOCKS):
            run.append(item)
            continue
        flush()
        blocks.extend(_html_block(item, link))
    flush()
    return blocks


def _media(kind: str, element: _Element, link: LinkTarget) -> Node:
    """An image, video, audio, PDF, diagram or embed: its address as the server's JSON holds it."""
    attrs = _data_attrs(element)
    source = next((c for c in element.children if isinstance(c, _Element) and c.tag in ("source", "iframe", "img")), None)
    src = element.attrs.get("src") or attrs.pop("src", "") or (source.attrs.get("src", "") if source else "")
    uploaded = attachment_url(src)
    attrs["src"] = uploaded or (link(src) if src else "")
    if uploaded and not attrs.get("attachmentId"):
        attrs["attachmentId"] = uploaded.split("/")[3]
    for name in ("alt", "title", "width", "height"):
        if element.attrs.get(name):
            attrs.setdefault(name, element.attrs[name])
    if element.attrs.get("aria-label"):
        attrs.setdefault("alt", element.attrs["aria-label"])
    return {"type": kind, "attrs": attrs}


def _html_block(element: _Element, link: LinkTarget) -> list[Node]:
    tag, data_type = element.tag, element.attrs.get("data-type", "")
    if data_type == "callout":
        kind = element.attrs.get("data-callout-type", "info")
        attrs: Node = {"type": kind if kind in CALLOUTS else "info"}
        return [{"type": "callout", "attrs": attrs, "content": _html_blocks(element.children, link)}]
    if data_type == "taskList":
        items = [c for c in element.children if isinstance(c, _Element) and c.tag == "li"]
        return [{"type": "taskList", "content": [_task_item(item, link) for item in items]}]
    if data_type == "mathBlock":
        return [{"type": "mathBlock", "attrs": {"text": _plain(element).strip()}}]
    if data_type == "attachment":
        url = element.attrs.get("data-attachment-url", "")
        attrs = {"url": link(url), "name": element.attrs.get("data-attachment-name", "")}
        attrs["attachmentId"] = element.attrs.get("data-attachment-id") or ""
        return [{"type": "attachment", "attrs": attrs}]
    if data_type in _DATA_MEDIA:
        return [_media(data_type, element, link)]
    if data_type in _DATA_BLOCKS:  # subpages, columns, column
        node: Node = {"type": data_type, "attrs": _data_attrs(element)}
        if data_type != "subpages":
            node["content"] = _html_blocks(element.children, link)
        return [node]
    if tag in ("video", "audio", "img"):
        return [_media("image" if tag == "img" else tag, element, link)]
    if tag in ("div", "tbody", "thead"):
        return _html_blocks(element.children, link)
    if tag == "p":  # an image in it stands alone, as in the editor
        return _paragraphs(_html_inline(element.children, [], link))
    if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
        return [{"type": "heading", "attrs": {"level": int(tag[1])}, "content": _html_inline(element.children, [], link)}]
    if tag == "hr":
        return [{"type": "horizontalRule"}]
    if tag == "blockquote":
        return [{"type": "blockquote", "content": _html_blocks(element.children, link)}]
    if tag == "pre":
        code = next((c for c in element.children if isinstance(c, _Element) and c.tag == "code"), None)
        language = re.match(r"language-([\w+#.-]+)", (code or element).attrs.get("class", ""))
        text = _plain(element).removesuffix("\n")
        return [{"type": "codeBlock", "attrs": {"language": language.group(1) if language else ""},
                 "content": [{"type": "text", "text": text}] if text else []}]  # fmt: skip
    if tag in ("ul", "ol"):
        items = [c for c in element.children if isinstance(c, _Element) and c.tag == "li"]
        content = [{"type": "listItem", "content": _html_blocks(i.children, link)} for i in items]
        if tag == "ul":
            return [{"type": "bulletList", "content": content}]
        return [{"type": "orderedList", "attrs": {"start": _span(element.attrs.get("start"))}, "content": content}]
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


def _task_item(item: _Element, link: LinkTarget) -> Node:
    checked = item.attrs.get("data-checked") == "true"
    body = [c for c in item.children if not (isinstance(c, _Element) and c.tag == "label")]
    return {"type": "taskItem", "attrs": {"checked": checked}, "content": _html_blocks(body, link)}


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
        if tag in _UNSEEN:
            continue
        if tag == "br":
            out.append({"type": "hardBreak"})
        elif tag in _INLINE_MARKS:
            out.extend(_html_inline(item.children, [*marks, {"type": _INLINE_MARKS[tag]}], link))
        elif tag == "a":
            mark = {"type": "link", "attrs": {"href": link(item.attrs.get("href", ""))}}
            out.extend(_html_inline(item.children, [*marks, mark], link))
        elif tag == "img":
            out.append(_media("image", item, link))
        elif item.attrs.get("data-type") == "mathInline":
            out.append({"type": "mathInline", "attrs": {"text": _plain(item).strip()}})
        elif item.attrs.get("data-type") == "status":
            out.append({"type": "status", "attrs": {**_data_attrs(item), "text": _plain(item).strip()}})
        elif item.attrs.get("data-type") == "mention":
            out.append({"type": "mention", "attrs": {"label": _plain(item).lstrip("@"), **_data_attrs(item)}})
        else:
            out.extend(_html_inline(item.children, marks, link))
    return out
