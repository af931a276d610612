"""The shipped unit passes `systemd-analyze verify` and rates 2.5 or lower in `security --offline`."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parent.parent / "systemd" / "docmost-syncd.service"
ANALYZE = shutil.which("systemd-analyze")

pytestmark = pytest.mark.skipif(
    ANALYZE is None, reason="systemd-analyze is not installed (Debian package systemd)"
)


def installed_unit(tmp_path: Path) -> Path:
    """The unit as installed on this machine: ExecStart names wherever pip put docmost-syncd."""
    binary = shutil.which("docmost-syncd", path=str(Path(sys.executable).parent)) or shutil.which("docmost-syncd")
    assert binary is not None, "docmost-syncd is not installed (pip install -e .)"
    unit = tmp_path / "docmost-syncd.service"
    unit.write_text(UNIT.read_text().replace("/opt/docmost-syncd/bin/docmost-syncd", binary))
    return unit


def test_verify_is_clean(tmp_path: Path) -> None:
    result = subprocess.run([str(ANALYZE), "verify", str(installed_unit(tmp_path))],
                            capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "" and result.stderr.strip() == ""


def test_security_exposure_is_at_most_2_5(tmp_path: Path) -> None:
    result = subprocess.run([str(ANALYZE), "security", "--offline=true", str(installed_unit(tmp_path))],
                            capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert match, result.stdout[-2000:] + result.stderr
    score = float(match.group(1))
    print(f"systemd-analyze security --offline=true: exposure {score}")
    assert score <= 2.5


def test_unit_has_the_directives_the_daemon_relies_on() -> None:
    text = UNIT.read_text()
    for directive in ("Type=notify", "WatchdogSec=", "Restart=on-failure", "LoadCredential=docmost-password:",
                      "User=docmost-syncd", "ReadWritePaths=", "StateDirectory="):  # fmt: skip
        assert directive in text
    assert "DynamicUser=yes" not in text
