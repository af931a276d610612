"""A real process that builds and publishes one version of a space, for crash and reader tests.

    python tests/publish_worker.py OUTPUT FOLDER VERSION [--kill-at STEP] [--fallback] [--spare] [--files N]

With --kill-at it SIGKILLs itself at that step of the publish sequence (``building`` is half way
through writing the files), exactly like a power cut or an OOM kill at that instruction. With
--spare it keeps the retired copy and builds the next version in it, as the Publisher does.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from docmost_syncd.publish.swap import SwapManager

FILE_BYTES = 4096


def file_content(version: str, index: int) -> bytes:
    line = f"version={version} file={index}\n".encode()
    return (line * (FILE_BYTES // len(line) + 1))[:FILE_BYTES]


def build_version(temp: Path, version: str, files: int, kill_at: str | None) -> None:
    for index in range(files):
        if kill_at == "building" and index == files // 2:
            os.kill(os.getpid(), signal.SIGKILL)
        sub = temp / f"section-{index % 3}"
        sub.mkdir(exist_ok=True)
        page = sub / f"page-{index}.md"
        page.unlink(missing_ok=True)  # a spare's file is replaced, never written through
        page.write_bytes(file_content(version, index))
    (temp / "VERSION").unlink(missing_ok=True)
    (temp / "VERSION").write_text(version)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("output", type=Path)
    parser.add_argument("folder")
    parser.add_argument("version")
    parser.add_argument("--kill-at")
    parser.add_argument("--fallback", action="store_true")
    parser.add_argument("--spare", action="store_true")
    parser.add_argument("--files", type=int, default=12)
    args = parser.parse_args()

    def checkpoint(step: str) -> None:
        if step == args.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    swap = SwapManager(
        args.output,
        checkpoint=checkpoint,
        exchange_supported=False if args.fallback else None,
        keep_spare=args.spare,
    )
    temp = swap.temp(args.folder) if args.spare and swap.take_spare(args.folder) else swap.begin(args.folder)
    build_version(temp, args.version, args.files, args.kill_at)
    swap.mark_complete(args.folder, {"version": args.version})
    print(swap.publish(args.folder))


if __name__ == "__main__":
    main()
