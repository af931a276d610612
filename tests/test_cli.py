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


README = __import__("pathlib").Path(__file__).parent.parent / "README.md"


def _readme_commands() -> dict[str, str]:
    """command → its line in the README's command table."""
    text = README.read_text(encoding="utf-8")
    block = text.split("## Commands", 1)[1].split("```", 2)[1]
    return {line.split()[1]: line for line in block.splitlines() if line.startswith("docmost-syncd ")}


@pytest.mark.parametrize("command", ["run", "sync", "convert", "demo", "recover", "check-config", "status"])
def test_every_help_agrees_with_the_readme(command: str) -> None:
    """The same options, every option explained (with its default where it has one), and the
    same either-or where the README writes one."""
    import re

    line = _readme_commands()[command]
    help_text = run(command, "--help").stdout
    usage, options = help_text.split("\n\n", 1)[0], help_text.split("options:", 1)[1]
    readme_options = set(re.findall(r"--[a-z-]+", line))
    help_options = set(re.findall(r"--[a-z-]+", usage)) - {"--help"}
    assert readme_options == help_options, (line, usage)
    for option in help_options:
        described = re.search(rf"^  (-\w, )?{option}( [A-Z{{][^\n]*?)?\s{{2,}}\S", options, re.MULTILINE)
        assert described, f"{command} {option} has no help"
    for either, other in re.findall(r"\((--[a-z-]+)[^|]*\| (--[a-z-]+)", line.replace("[", "(")):
        assert re.search(rf"[\[(]{either} [A-Z]+ \| {other}", usage), (either, other, usage)
    if "--math" in help_options:
        assert "default: text" in " ".join(options.split())


def test_status_takes_a_config_or_an_output_folder_not_both(tmp_path: object) -> None:
    result = run("status", "--config", "x.toml", "--output", str(tmp_path))
    assert result.returncode == 2 and "not allowed with argument" in result.stderr


def test_convert_of_a_folder_says_it_is_a_folder(tmp_path: object) -> None:
    result = run("convert", str(tmp_path), "--output", str(tmp_path))
    assert result.returncode == 2 and f"{tmp_path}: a folder, not an export ZIP" in result.stderr
