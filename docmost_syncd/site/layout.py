"""Names, paths and sidebar order: every page gets exactly one ASCII path in Docmost's hierarchy.

A page with children is ``<name>/<name>.md`` (Docusaurus takes a doc named like its folder as the
category's index) next to ``<name>/_category_.json``; a leaf is ``<name>.md`` (``.mdx`` when its
rendering needs JSX). Names that would make
Docusaurus pick a second category index (``index``, ``readme``, the folder's own name) are renamed.
"""

from __future__ import annotations

import posixpath
import re

from docmost_syncd.model import Page, Space, SpaceModel
from docmost_syncd.site.naming import safe_name, slugify, unique_names

ASSETS_DIR = "_assets"
_MEDIA_EXTENSIONS = {"ogg": "oga"}
_INDEX_NAMES = ("index", "readme")
_PAGE_SUFFIX = re.compile(r"\.(mdx?)$", re.IGNORECASE)


def page_name(page: Page) -> str:
    """A page's path component. A title like ``Guides.md`` loses its dot: as a folder it would
    take the name of its parent's own file (``Guides/Guides.md``)."""
    return _PAGE_SUFFIX.sub(r"-\1", safe_name(page.title, page.slug_id or page.id))


def _sibling_names(pages: list[Page], folder_name: str) -> tuple[list[str], list[str]]:
    """(the names the siblings get, the names their titles ask for)."""
    reserved = {*_INDEX_NAMES, folder_name.lower()}
    asked = [page_name(page) for page in pages]
    wanted = [f"{name}-page" if name.lower() in reserved else name for name in asked]
    return unique_names(wanted, reserved=reserved), asked


def assign_paths(model: SpaceModel) -> dict[str, int]:
    """Name every page among its siblings (in position order) and derive its published path.
    Returns counts for the log: pages, folders, and names changed to avoid a clash."""
    pending: list[tuple[list[Page], str, str]] = [(model.roots, "", model.folder)]
    counts = {"pages": 0, "folders": 0, "renamed": 0}
    while pending:
        siblings, directory, folder_name = pending.pop()
        names, asked = _sibling_names(siblings, folder_name)
        for position, (page, name, wish) in enumerate(zip(siblings, names, asked, strict=True), start=1):
            page.name = name
            page.sidebar_position = position
            counts["pages"] += 1
            counts["renamed"] += name != wish
            if page.children:
                own_dir = posixpath.join(directory, name)
                page.path = posixpath.join(own_dir, name + page.extension)
                pending.append((page.children, own_dir, name))
                counts["folders"] += 1
            else:
                page.path = posixpath.join(directory, name + page.extension)
    return counts


def assign_attachment_paths(model: SpaceModel) -> dict[str, int]:
    """Each attachment once per space: ``_assets/<attachment id>/<safe file name>``.

    The ``_`` keeps Docusaurus from treating an attached ``.md`` as a doc; ``.md``/``.mdx``
    attachments also get ``.txt`` so links to them are asset links, not doc links.
    """
    for attachment in model.attachments.values():
        attachment.path = attachment_path(attachment.id, attachment.file_name)
    return {"attachments": len(model.attachments)}


def attachment_path(attachment_id: str, file_name: str) -> str:
    """``_assets/<id>/<slugified name>.<ext>``, relative to the space folder."""
    stem, dot, ext = file_name.rpartition(".")
    if not dot:
        stem, ext = ext, ""
    name = slugify(stem) or "file"
    ext = slugify(ext).lower()
    # Docusaurus bundles audio and video it knows by extension; Ogg is known as .oga/.ogv only.
    ext = _MEDIA_EXTENSIONS.get(ext, ext)
    safe = f"{name}.{ext}" if ext else name
    if ext in ("md", "mdx"):
        safe += ".txt"
    return posixpath.join(ASSETS_DIR, attachment_id.lower(), safe)


def attachment_id_of(path: str) -> str | None:
    """The attachment id of a published path ``attachment_path`` made; None for any other."""
    parts = path.split("/")
    return parts[1] if len(parts) == 3 and parts[0] == ASSETS_DIR else None


def space_folders(spaces: list[Space], known: dict[str, str], reserved: set[str]) -> dict[str, str]:
    """A stable folder per space id: the one it was published in (``known``), else a new unique
    name that collides with no other space and none of the ``reserved`` names (folders this tool
    does not own)."""
    taken = set(reserved)
    folders: dict[str, str] = {}
    for space in spaces:
        if space.id in known:
            folders[space.id] = known[space.id]
            taken.add(known[space.id])
    new = sorted((space for space in spaces if space.id not in folders), key=lambda s: s.id)
    wanted = [safe_name(space.slug or space.name, space.id) for space in new]
    for space, folder in zip(new, unique_names(wanted, reserved=taken), strict=True):
        folders[space.id] = folder
    return folders
