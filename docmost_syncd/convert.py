"""``docmost-syncd convert``: one space export ZIP through the build ``sync`` uses.

The ZIP is read as a page source (``source.py``): its pages listed from ``docmost-metadata.json``,
their markdown parsed into the editor's nodes; from there the steps are ``sync``'s own — layout
and the link index, render, front matter, write, verify, swap — so both commands escape, name and
link alike."""

from __future__ import annotations

import time
from pathlib import Path

from docmost_syncd.build import BuildOptions, SpacePlan, build_space, lay_out
from docmost_syncd.model import Space
from docmost_syncd.publish.publisher import Publisher, SpaceOutcome
from docmost_syncd.render import RenderOptions
from docmost_syncd.site.index import SiteIndex
from docmost_syncd.sources.archive.reader import SafeArchive
from docmost_syncd.sources.archive.source import ArchiveSource


def convert_export(
    publisher: Publisher, export: Path, space: Space, folder: str, render: RenderOptions | None = None
) -> SpaceOutcome:
    """Build the space from the ZIP and publish it; the published copy stays on any failure."""
    started = time.monotonic()
    options = BuildOptions(render or RenderOptions())  # no server: no edit links, no authors
    with SafeArchive(export, publisher.limits) as archive:
        source = ArchiveSource(archive, space, folder)
        plan = SpacePlan(space, folder, source.listed(), source.records())
        index = SiteIndex(None)
        lay_out(plan, index, options)
        outcome = build_space(source, publisher, plan, index, options)
    outcome.seconds = time.monotonic() - started
    return outcome
