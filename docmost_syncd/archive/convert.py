"""``docmost-syncd convert``: one space export ZIP through the markdown chain into its folder."""

from __future__ import annotations

import time
from pathlib import Path

from docmost_syncd.archive.reader import SafeArchive
from docmost_syncd.archive.space import model_from_archive
from docmost_syncd.docmost.models import Space
from docmost_syncd.postprocess.chain import BuildContext, run_chain
from docmost_syncd.publish.publisher import BuildSummary, Publisher, SpaceOutcome


def convert_export(publisher: Publisher, export: Path, space: Space, folder: str) -> SpaceOutcome:
    """Build the space from the ZIP and publish it; the published copy stays on any failure."""
    started = time.monotonic()
    with SafeArchive(export, publisher.limits) as archive:
        model = model_from_archive(archive, space.id, space.name, folder)
        with publisher.building(folder) as writer:
            run_chain(model, BuildContext(archive), writer)
            summary = BuildSummary(model.page_count(), build_seconds=time.monotonic() - started)
            outcome = publisher.finish(space, folder, writer, summary)
    outcome.seconds = time.monotonic() - started
    return outcome
