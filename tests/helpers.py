"""Small helpers the tests share: hashing a published tree, checking its links and anchors."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from docmost_syncd.config import Settings
from docmost_syncd.docmost.client import DocmostClient
from docmost_syncd.publish.publisher import Publisher
from docmost_syncd.run import RunOutcome, run_sync

LINK = re.compile(r"!?\[(?:\\.|[^\[\]\\])*\]\((?P<dest>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
REQUIRE = re.compile(r"require\(\"(?P<dest>[^\"]+)\"\)")
HEADING_ID = re.compile(r"^#{1,6} .*\\\{#(?P<id>[\w-]+)\\\}$|^# <HeadingAnchor id=\"(?P<h1>[\w-]+)\" />", re.MULTILINE)


def heading_ids(text: str) -> list[str]:
    """The heading ids docmost-syncd wrote into a page: ``{#id}``, or an H1's anchor element."""
    return [match.group("id") or match.group("h1") for match in HEADING_ID.finditer(text)]


def sync_recorded(
    double: Any, docs: Path, math: str, spaces: list[str], public_url: str | None = None
) -> RunOutcome:
    """``spaces`` of a Docmost double (tests/docmost_double.py) synced into ``docs``."""
    import respx

    from docmost_syncd.config import DocmostSettings

    settings = Settings(
        docmost=DocmostSettings(
            url="http://docmost.test", email="admin@example.com", password=double.password, public_url=public_url
        ),
        output={"dir": docs, "math": math},
        sync={"spaces_include": spaces},
    )
    with respx.mock(base_url="http://docmost.test", assert_all_called=False) as router:
        router.route().mock(side_effect=double.respx_side_effect)
        outcome = sync(settings)
    assert not outcome.failed, [space.error for space in outcome.spaces]
    return outcome


def sync(settings: Settings, **kwargs: Any) -> RunOutcome:
    """One run in this process, as `docmost-syncd sync --once` does it."""
    assert settings.output.dir is not None
    with DocmostClient(settings.docmost, sleep=lambda _s: None) as client:
        publisher = Publisher(settings.output.dir, settings.limits, server_url=settings.docmost.url)
        publisher.recover()
        outcome = run_sync(settings, client, publisher, **kwargs)
    publisher.close()
    return outcome


def page_files(folder: Path) -> list[Path]:
    """The published pages under ``folder`` (attachments are not pages; what sits in a dot folder,
    such as the spares in .docmost-syncd, is skipped as Docusaurus skips it)."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.suffix in (".md", ".mdx")
        and "_assets" not in p.relative_to(folder).parts
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def file_digests(folder: Path) -> dict[str, str]:
    """relative path → sha256 of every file under ``folder``."""
    result = {}
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(root) / name
            result[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return result


def tree_snapshot(folder: Path) -> dict[str, str]:
    """relative path → sha256 of every file (and inode of the folder) for byte-identity checks."""
    return {".inode": str(folder.stat().st_ino), **file_digests(folder)}


def tree_contents(folder: Path) -> dict[str, str]:
    """Every file's sha256 and every folder (``path/``): what a build that starts from a spare
    and a build into an empty folder must agree on. But for history, which a sync into an empty
    folder cannot have: ``_redirects.json`` (every earlier URL of a page) is left out, and the
    completion marker is compared without its entry and without the build's digest over it."""
    folders = {f"{os.path.relpath(root, folder)}/": "folder" for root, _dirs, _files in os.walk(folder)}
    files = {path: digest for path, digest in file_digests(folder).items() if path != "_redirects.json"}
    marker = folder / ".docmost-syncd-complete"
    if marker.is_file():
        data = json.loads(marker.read_text(encoding="utf-8"))
        data.pop("digest", None)
        (data.get("files") or {}).pop("_redirects.json", None)
        files[".docmost-syncd-complete"] = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    return {**files, **folders}


def relative_links(folder: Path) -> list[tuple[Path, str]]:
    """Every relative link, image and require() destination in the published pages."""
    found = []
    for page in page_files(folder):
        text = page.read_text(encoding="utf-8")
        for match in [*LINK.finditer(text), *REQUIRE.finditer(text)]:
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


def broken_anchors(folder: Path) -> list[str]:
    """Links to a heading (``page.md#id`` or ``#id``) whose page has no such explicit heading id."""
    broken = []
    for page in page_files(folder):
        text = page.read_text(encoding="utf-8")
        for match in LINK.finditer(text):
            dest = match.group("dest")
            if "#" not in dest or re.match(r"^[a-z]+:", dest):
                continue
            path, anchor = dest.split("#", 1)
            target = (page.parent / unquote(path)).resolve() if path else page
            if target.suffix not in (".md", ".mdx") or not target.exists():
                continue
            if anchor not in set(heading_ids(target.read_text(encoding="utf-8"))):
                broken.append(f"{page.relative_to(folder)} -> {dest}")
    return broken


@contextmanager
def mounted_tmpfs(mountpoint: Path, size_mib: int) -> Iterator[Path]:
    """A real tmpfs of ``size_mib`` at ``mountpoint`` (made here) for the test's life; skips
    the test, saying why, where this machine cannot mount one (root and mount(8) needed)."""
    import pytest

    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    mountpoint.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mib}m", "tmpfs", str(mountpoint)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)
