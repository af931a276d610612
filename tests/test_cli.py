"""The command line contract: every command has --help; usage errors exit 2."""

from __future__ import annotations

import subprocess
import sys

import pytest


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "docmost_syncd", *args], capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip


@pytest.mark.parametrize("command", ["run", "sync", "convert", "recover", "check-config", "status"])
def test_every_command_has_help(command: str) -> None:
    result = run(command, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith(f"usage: docmost-syncd {command}")


def test_top_level_help_names_exit_codes() -> None:
    result = run("--help")
    assert result.returncode == 0 and "78 configuration error" in result.stdout


@pytest.mark.parametrize("args", [[], ["frobnicate"], ["sync"], ["convert"], ["recover"]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert run(*args).returncode == 2


def test_convert_of_a_missing_file_exits_2(tmp_path: object) -> None:
    result = run("convert", "/nonexistent/export.zip", "--output", str(tmp_path))
    assert result.returncode == 2 and "no such export file" in result.stderr


def test_convert_of_a_non_zip_fails_clearly_and_keeps_nothing_half_done(tmp_path: object) -> None:
    from pathlib import Path

    root = Path(str(tmp_path))
    bad = root / "broken-space-export.zip"
    bad.write_bytes(b"<html>502 Bad Gateway</html>")
    result = run("convert", str(bad), "--output", str(root / "docs"))
    assert result.returncode == 1
    assert "broken-space-export.zip is not a readable ZIP" in result.stderr
    assert sorted(p.name for p in (root / "docs").iterdir()) == [".docmost-syncd"]
