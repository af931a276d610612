"""Command line: run | sync --once | convert | recover | check-config | status.

Exit status: 0 ok, 1 a space (or the run) failed, 2 usage, 78 configuration error.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote

from docmost_syncd import __version__
from docmost_syncd.config import (
    CONFIG_ENV,
    LimitsSettings,
    LoadedConfig,
    effective_config,
    load_config,
    require_server,
)
from docmost_syncd.errors import ConfigError, LockedError, SyncdError, fault_message
from docmost_syncd.log import configure_logging, get_logger
from docmost_syncd.model import Space
from docmost_syncd.publish.lock import OutputLock
from docmost_syncd.publish.publisher import Publisher
from docmost_syncd.publish.state import StateStore
from docmost_syncd.publish.swap import STATE_DIR_NAME
from docmost_syncd.site.layout import space_folders
from docmost_syncd.site.naming import safe_name

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CONFIG = 0, 1, 2, 78
KEPT = "nothing published was changed"
EXPORT_SUFFIX = "-space-export.zip"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="docmost-syncd",
        description="Mirror every space of a Docmost wiki into Docusaurus-ready markdown, "
        "published with an atomic swap.",
        epilog="exit status: 0 ok, 1 a space or the run failed, 2 usage, 78 configuration error\n"
        "--config defaults to $DOCMOST_SYNCD_CONFIG",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"docmost-syncd {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_config(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--config", type=Path, metavar="FILE", help="TOML config file (default: $DOCMOST_SYNCD_CONFIG)")

    run = commands.add_parser("run", help="the daemon: sync on a schedule until stopped (systemd ExecStart)")
    with_config(run)
    sync = commands.add_parser("sync", help="one sync run, then exit")
    with_config(sync)
    sync.add_argument("--once", action="store_true", required=True, help="run once and exit (required)")
    sync.add_argument(
        "--space",
        action="append",
        default=[],
        metavar="NAME",
        help="only this space (name, slug or id; glob allowed); repeatable",
    )
    sync.add_argument(
        "--allow-removal",
        action="store_true",
        help="publish this run even where it removes more pages or spaces than sync.removal_guard allows",
    )
    demo = commands.add_parser(
        "demo", help="sync two recorded spaces of a real Docmost 0.95 server, served on loopback (no server needed)"
    )
    demo.add_argument("--output", type=Path, default=Path("site-docs"), metavar="DIR", help="output folder (default: site-docs)")
    convert = commands.add_parser("convert", help="offline: build and publish one space export ZIP")
    convert.add_argument(
        "zip", type=Path, metavar="ZIP", help="a Docmost space export ZIP, in markdown or HTML format"
    )
    convert.add_argument("--output", type=Path, required=True, metavar="DIR", help="output folder")
    convert.add_argument(
        "--math",
        choices=("text", "katex"),
        default="text",
        help="formulas as LaTeX code (text, any site) or $…$ for remark-math + rehype-katex (katex, the "
        "site kit); default: %(default)s",
    )
    convert.add_argument(
        "--space",
        metavar="NAME",
        help="space name (default: from <space>-space-export.zip, else the file's stem)",
    )
    convert.add_argument(
        "--title",
        metavar="TEXT",
        help="the space's name as the site shows it, e.g. Docmost's space name, which an export does not "
        "hold (default: the space name)",
    )
    recover = commands.add_parser("recover", help="start-up recovery only: finish or undo interrupted swaps")
    target = recover.add_mutually_exclusive_group(required=True)
    target.add_argument("--output", type=Path, metavar="DIR", help="the output folder to recover")
    target.add_argument("--config", type=Path, metavar="FILE", help="TOML config file naming the output folder")
    check = commands.add_parser("check-config", help="validate and print the effective configuration")
    with_config(check)
    status = commands.add_parser("status", help="per-space state from the state folder (no daemon needed)")
    where = status.add_mutually_exclusive_group()
    where.add_argument("--config", type=Path, metavar="FILE", help="TOML config file (default: $DOCMOST_SYNCD_CONFIG)")
    where.add_argument("--output", type=Path, metavar="DIR", help="output folder (instead of --config)")
    status.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _load(args: argparse.Namespace, prints_result: bool = False) -> LoadedConfig:
    """The configuration, with logging set up by it; a command that prints its result on stdout
    keeps its log lines on stderr whatever ``log.stream`` says, so its output stays parseable."""
    loaded = load_config(getattr(args, "config", None))
    log = loaded.settings.log
    configure_logging(log.format, log.level, to="stderr" if prints_result else log.stream)
    for warning in loaded.warnings:
        get_logger().warning("config.warning", detail=warning)
    return loaded


def _config_error(error: ConfigError) -> int:
    print("docmost-syncd: invalid configuration:", file=sys.stderr)
    for problem in error.problems:
        print(f"  {problem}", file=sys.stderr)
    return EXIT_CONFIG


def entry() -> None:
    """The console script: ``main()``, then out without the interpreter's teardown of the loaded
    libraries (0.2–0.35 s for pydantic, structlog and httpx: a third of a no-change run). Every
    file and lock is closed by then; only the standard streams need flushing."""
    try:
        code = main()
    except SystemExit as exc:  # argparse's usage errors and --help
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handlers = {
        "run": _cmd_run,
        "sync": _cmd_sync,
        "convert": _cmd_convert,
        "demo": _cmd_demo,
        "recover": _cmd_recover,
        "check-config": _cmd_check_config,
        "status": _cmd_status,
    }
    try:
        return handlers[args.command](args)
    except ConfigError as exc:
        return _config_error(exc)
    except LockedError as exc:
        print(f"docmost-syncd: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except (OSError, sqlite3.Error) as exc:
        # The output folder itself (its lock, state or cache) failed before or after the work:
        # one line naming the path and the cause. A run's own faults are its outcome (run.py).
        print(f"docmost-syncd {args.command}: {fault_message(exc)}; {KEPT}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_FAILED


def _cmd_check_config(args: argparse.Namespace) -> int:
    loaded = _load(args, prints_result=True)
    require_server(loaded.settings, loaded.path)
    print(json.dumps(effective_config(loaded.settings), indent=2, ensure_ascii=False))
    return EXIT_OK


def _cmd_sync(args: argparse.Namespace) -> int:
    from docmost_syncd.run import run_once  # without the daemon's scheduler and HTTP server

    loaded = _load(args)
    require_server(loaded.settings, loaded.path)
    return run_once(loaded.settings, only=args.space, allow_removal=args.allow_removal)


def _cmd_run(args: argparse.Namespace) -> int:
    from docmost_syncd.daemon.runner import run_daemon

    loaded = _load(args)
    require_server(loaded.settings, loaded.path)
    return run_daemon(loaded.settings, loaded.path)


def _cmd_demo(args: argparse.Namespace) -> int:
    from docmost_syncd.demo import run_demo

    configure_logging("auto", "info")
    return run_demo(args.output)


def _space_name_from_zip(path: Path) -> str:
    name = unquote(path.name)
    return name[: -len(EXPORT_SUFFIX)] if name.endswith(EXPORT_SUFFIX) else Path(name).stem


def _cmd_convert(args: argparse.Namespace) -> int:
    from docmost_syncd.convert import convert_export  # the ZIP path: loaded only here
    from docmost_syncd.render import RenderOptions
    from docmost_syncd.run import kept

    configure_logging("auto", "info")
    log = get_logger()
    if not args.zip.is_file():
        problem = "a folder, not an export ZIP" if args.zip.is_dir() else "no such export file"
        print(f"docmost-syncd: {args.zip}: {problem}", file=sys.stderr)
        return EXIT_USAGE
    if args.output.exists() and not args.output.is_dir():
        print(f"docmost-syncd convert: --output {args.output}: a file, not a folder; {KEPT}", file=sys.stderr)
        return EXIT_FAILED
    name = args.space or _space_name_from_zip(args.zip)
    folder = safe_name(name, "space")
    space = Space(id=f"convert:{folder}", name=args.title or name, slug=folder)
    args.output.mkdir(parents=True, exist_ok=True)
    with OutputLock(args.output / STATE_DIR_NAME):
        publisher = Publisher(args.output, LimitsSettings(), source="convert")
        publisher.recover()
        try:
            folder = space_folders([space], *publisher.folder_claims())[space.id]
            outcome = convert_export(publisher, args.zip, space, folder, RenderOptions(math=args.math))
        except (SyncdError, OSError) as exc:
            log.error(
                "space.failed", space=folder, source=str(args.zip), error=fault_message(exc),
                kept=kept(publisher, folder),
            )  # fmt: skip
            return EXIT_FAILED
    log.info(
        f"space.{outcome.result}",
        space=folder,
        pages=outcome.pages,
        bytes=outcome.bytes_written,
        path=str(args.output / folder),
        seconds=round(outcome.seconds, 3),
    )
    return EXIT_OK


def _cmd_recover(args: argparse.Namespace) -> int:
    if args.output is not None:
        configure_logging("auto", "info")
        output = args.output
    else:
        loaded = _load(args)
        if loaded.settings.output.dir is None:
            raise ConfigError([f"output.dir: missing (from {loaded.path})"])
        output = loaded.settings.output.dir
    if not output.is_dir():
        print(f"docmost-syncd: {output}: not a folder", file=sys.stderr)
        return EXIT_USAGE
    with OutputLock(output / STATE_DIR_NAME):
        actions = Publisher(output, LimitsSettings()).recover()
    get_logger().info("recovery.finished", output=str(output), actions=len(actions))
    return EXIT_OK


def _cmd_status(args: argparse.Namespace) -> int:
    if args.output is not None:
        output: Path = args.output
    else:
        loaded = load_config(args.config)
        if loaded.settings.output.dir is None:
            where = loaded.path or f"the environment; give --config FILE, ${CONFIG_ENV} or --output DIR"
            raise ConfigError([f"output.dir: missing (from {where})"])
        output = loaded.settings.output.dir
    if not output.is_dir():
        print(f"docmost-syncd: {output}: no such folder (nothing was published there)", file=sys.stderr)
        return EXIT_FAILED
    try:
        store = StateStore.load(output / STATE_DIR_NAME)
    except ValueError as exc:
        print(f"docmost-syncd: {exc}", file=sys.stderr)
        return EXIT_FAILED
    rows = [
        {
            "space": state.folder,
            "name": state.name,
            "space_id": sid,
            "source": state.source,
            "published": state.published and (output / state.folder).is_dir(),
            "result": state.last_result if not state.published or (output / state.folder).is_dir() else "missing",
            "pages": state.pages,
            "bytes": state.bytes,
            "last_success": _iso(state.last_success),
            "last_published": _iso(state.last_published),
            "consecutive_failures": state.consecutive_failures,
            "error": state.last_error,
        }
        for sid, state in sorted(store.spaces.items(), key=lambda item: item[1].folder)
    ]
    if args.json:
        print(json.dumps({"output": str(output), "spaces": rows}, indent=2, ensure_ascii=False))
    elif not rows:
        print(f"no spaces published in {output} yet")
    else:
        for row in rows:
            error = f"  error: {row['error']}" if row["error"] else ""
            print(
                f"{row['space']:<30} {row['result'] or '-':<10} {row['pages']:>6} pages  "
                f"last success {row['last_success'] or 'never'}{error}"
            )
    return EXIT_FAILED if any(row["result"] == "failed" for row in rows) else EXIT_OK


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))
