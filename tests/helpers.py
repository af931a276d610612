"""Small helpers the tests share: hashing a published tree, checking its links."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from urllib.parse import unquote

LINK = re.compile(r"!?\[(?:\\.|[^\[\]\\])*\]\((?P<dest>[^)\s]+)(?:\s+\"[^\"]*\")?\)")


def tree_snapshot(folder: Path) -> dict[str, str]:
    """relative path → sha256 of every file (and inode of the folder) for byte-identity checks."""
    result = {".inode": str(folder.stat().st_ino)}
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(root) / name
            result[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return result


def relative_links(folder: Path) -> list[tuple[Path, str]]:
    """Every relative markdown link and image destination in the published .md files."""
    found = []
    for page in folder.rglob("*.md"):
        text = page.read_text(encoding="utf-8")
        for match in LINK.finditer(text):
            dest = match.group("dest")
            if re.match(r"^[a-z]+:", dest) or dest.startswith(("#", "/")):
                continue
            found.append((page, dest))
    return found


def unresolved_links(folder: Path) -> list[str]:
    broken = []
    for page, dest in relative_links(folder):
        target = (page.parent / unquote(dest.split("#", 1)[0])).resolve()
        if not target.exists():
            broken.append(f"{page.relative_to(folder)} -> {dest}")
    return broken
