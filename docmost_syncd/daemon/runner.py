"""Running syncs: one run (``sync --once``) and the daemon loop (``run``)."""

from __future__ import annotations

from pathlib import Path

from docmost_syncd.config import Settings
from docmost_syncd.docmost.client import DocmostClient
from docmost_syncd.log import get_logger
from docmost_syncd.publish.lock import OutputLock
from docmost_syncd.sync import Publisher, run_sync


def make_publisher(settings: Settings) -> Publisher:
    assert settings.output.dir is not None
    return Publisher(
        settings.output.dir,
        settings.limits,
        server_url=settings.docmost.url,
        fsync_files=settings.output.fsync_files,
    )


def run_once(settings: Settings, only: list[str] | None = None) -> int:
    """Lock the output folder, recover, sync every selected space once. 0 ok, 1 something failed."""
    assert settings.output.dir is not None
    settings.output.dir.mkdir(parents=True, exist_ok=True)
    with OutputLock(settings.state_dir):
        publisher = make_publisher(settings)
        publisher.swap.recover()
        with DocmostClient(settings.docmost) as client:
            outcome = run_sync(settings, client, publisher, only=only)
    return 1 if outcome.failed else 0


def run_daemon(settings: Settings, config_path: Path | None) -> int:
    get_logger().error("daemon.unavailable", detail="the scheduler loop is not built yet; use sync --once")
    return 1
