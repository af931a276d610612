"""What a space folder holds besides its pages: ``_category_.json`` files, ``_metadata.json``, and
the check, before anything is published, that the build holds one file per live page."""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterator, Mapping
from typing import Any

from docmost_syncd.errors import BuildError
from docmost_syncd.model import Page, SpaceModel, safe_label
from docmost_syncd.publish.writer import CATEGORY_FILE, PAGE_EXTENSIONS, StagingWriter, json_lines


def space_metadata_pieces(
    model: SpaceModel, anchors: dict[str, frozenset[str]] | None = None
) -> Iterator[str]:
    """``_metadata.json``, piece by piece: the space and its page tree with each page's published
    path (and, for pages rendered from Docmost's JSON, their heading ids, so other spaces can link
    to them). The same bytes as json_lines of the whole tree, which for a 20,000-page space held
    30 MB at once, all of it peak memory."""
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    space = {"id": model.id, "name": model.name, "slug": model.slug}
    if model.description:
        space["description"] = model.description
    yield encode({"space": space})[:-1]
    yield ',"generator":"docmost-syncd","pages":['
    # Depth first with an explicit stack: (page, position among its siblings) or a closing bracket.
    stack: list[tuple[Page, int] | None] = [(root, n) for n, root in reversed(list(enumerate(model.roots)))]
    while stack:
        item = stack.pop()
        if item is None:
            yield "]}"
            continue
        page, number = item
        entry: dict[str, Any] = {
            "id": page.id,
            "slugId": page.slug_id,
            "title": page.title,
            "icon": page.icon,
            "position": page.position,
            "path": page.path,
        }
        if anchors is not None:
            entry["anchors"] = sorted(anchors.get(page.id, ()))
        yield ("," if number else "") + encode(entry)[:-1] + ',"children":['
        stack.append(None)
        stack.extend((child, n) for n, child in reversed(list(enumerate(page.children))))
    yield "]}\n"


def metadata_pages(metadata: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every page entry of a published ``_metadata.json``, parents before their children."""
    stack = list(metadata.get("pages") or [])
    while stack:
        entry = stack.pop()
        if isinstance(entry, dict):
            yield entry
            stack.extend(entry.get("children") or [])


REDIRECTS_FILE = "_redirects.json"


def page_url(path: str) -> str:
    """A page's URL under the docs route, as Docusaurus makes it from its file: the path without
    its extension, and a category's own page (``a/b/b.md``) at its folder's URL (``a/b``)."""
    stem = posixpath.splitext(path)[0]
    folder, name = posixpath.split(stem)
    return folder if folder and posixpath.basename(folder) == name else stem


def redirects_json(
    folder: str, model: SpaceModel, history: dict[str, list[str]],
    moved_out: Mapping[str, tuple[list[str], str]] | None = None,
) -> bytes:  # fmt: skip
    """``_redirects.json``: every earlier URL of a page that is published now → its URL now, so
    links from outside (search engines, chats, bookmarks) survive renames and moves. A page that
    moved to another space (``moved_out``: page id → its paths here, and its ``folder/url`` there)
    keeps its URLs here too, leading there. A URL that another page holds now is never redirected;
    pages no longer published anywhere have no history."""
    moved_out = moved_out or {}
    current = {page.id: page_url(page.path) for page in model.walk()}
    taken = set(current.values())
    # URLs that pages published now have had: an old URL is kept only if every folder in it was
    # one of those, so no name of a page that is not published (now private) is ever written.
    earlier = {page_id: [page_url(old) for old in history.get(page_id, [])] for page_id in current}
    earlier.update({page_id: [page_url(old) for old in paths] for page_id, (paths, _there) in moved_out.items()})
    known = taken | {old for urls in earlier.values() for old in urls}
    targets = {page_id: f"{folder}/{url}" for page_id, url in current.items()}
    targets.update({page_id: there for page_id, (_paths, there) in moved_out.items()})
    entries, redirected = [], set()
    for page_id, to in sorted(targets.items(), key=lambda item: item[1]):
        for old_url in earlier[page_id]:
            parts = old_url.split("/")
            folders_known = all("/".join(parts[:depth]) in known for depth in range(1, len(parts)))
            source = f"{folder}/{old_url}"
            if source != to and old_url not in taken and folders_known and source not in redirected:
                redirected.add(source)
                entries.append({"from": source, "to": to})
    return json_lines({"redirects": entries})


def category_json(page: Page) -> bytes:
    """``_category_.json`` of a page's folder: the label its page has in the sidebar (icon and
    exact title) and its sidebar position."""
    return json_lines({"label": page.sidebar_label, "position": page.sidebar_position})


def root_category_json(model: SpaceModel) -> bytes:
    return json_lines({"label": safe_label(model.name)})


def category_path(page: Page) -> str:
    return posixpath.join(posixpath.dirname(page.path), CATEGORY_FILE)


def verify_output(model: SpaceModel, writer: StagingWriter) -> None:
    """Before anything is published: every file the manifest records is there, one file per
    live page, nothing else that looks like a page."""
    on_disk = writer.settle()
    lost = sorted(set(writer.manifest) - on_disk)
    if lost:
        raise BuildError(f"files of the build are missing from {writer.root}: {lost[:5]}")
    expected = {page.path for page in model.walk()}
    pages = {path for path in on_disk if path.endswith(PAGE_EXTENSIONS) and not path.startswith("_assets/")}
    if pages != expected:
        missing = sorted(expected - pages)[:5]
        extra = sorted(pages - expected)[:5]
        raise BuildError(f"built tree does not match the page tree: missing {missing}, unexpected {extra}")
