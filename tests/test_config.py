"""Configuration: TOML + environment, password sources, one clear message per problem, exit 78."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from docmost_syncd.config import Settings, load_config, parse_duration
from docmost_syncd.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DOCMOST_SYNCD_") and k != "CREDENTIALS_DIRECTORY"
    }
    return subprocess.run(
        [sys.executable, "-m", "docmost_syncd", *args],
        capture_output=True,
        text=True,
        env={**clean, **(env or {})},
        timeout=120,
        check=False,
    )


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("DOCMOST_SYNCD_") or key == "CREDENTIALS_DIRECTORY":
            monkeypatch.delenv(key)


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30m", 1800), ("1h30m", 5400), ("45s", 45), ("2d", 172800), (90, 90), ("1h 5m", 3900)],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write(tmp_path / "c.toml", '[docmost]\nurl = "https://a.example"\n[sync]\ninterval = "1h"\n')
    monkeypatch.setenv("DOCMOST_SYNCD_DOCMOST__URL", "https://b.example/")
    monkeypatch.setenv("DOCMOST_SYNCD_SYNC__CONCURRENCY", "4")
    settings = load_config(config).settings
    assert settings.docmost.url == "https://b.example"
    assert settings.sync.interval == 3600
    assert settings.sync.concurrency == 4


def test_a_list_in_the_environment_is_json_and_a_wrong_one_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """How a container is configured: lists are JSON; anything else is a clear error, not a
    traceback, and a secret beside it is never printed."""
    monkeypatch.setenv("DOCMOST_SYNCD_SYNC__SPACES_INCLUDE", '["eng", "sec-common"]')
    assert load_config().settings.sync.spaces_include == ["eng", "sec-common"]
    monkeypatch.setenv("DOCMOST_SYNCD_SYNC__SPACES_INCLUDE", "eng,sec-common")
    monkeypatch.setenv("DOCMOST_SYNCD_HOOKS__POST_SYNC", '["/usr/bin/true"]')
    monkeypatch.setenv("DOCMOST_SYNCD_DOCMOST__PASSWORD", "hunter2-not-json")
    with pytest.raises(ConfigError) as error:
        load_config()
    assert error.value.problems == [
        "DOCMOST_SYNCD_SYNC__SPACES_INCLUDE: 'eng,sec-common' is not a JSON list; "
        'write it like \'["eng", "sec-common"]\' (from environment)'
    ]
    assert "hunter2" not in str(error.value)


def test_config_path_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write(tmp_path / "c.toml", '[output]\ndir = "/srv/docs"\n')
    monkeypatch.setenv("DOCMOST_SYNCD_CONFIG", str(config))
    assert load_config().settings.output.dir == Path("/srv/docs")


def test_every_problem_is_reported_with_key_and_file(tmp_path: Path) -> None:
    config = write(
        tmp_path / "bad.toml",
        '[sync]\ninterval = "90 minutes"\nconcurrency = 0\ntypo = 1\n[log]\nformat = "xml"\n',
    )
    with pytest.raises(ConfigError) as error:
        load_config(config)
    problems = error.value.problems
    assert f'sync.interval: "90 minutes" is not a duration like 30m, 1h30m (from {config})' in problems
    assert any(p.startswith("sync.concurrency:") and str(config) in p for p in problems)
    assert f"sync.typo: unknown key (from {config})" in problems
    assert any(p.startswith("log.format:") for p in problems)
    assert len(problems) == 4


def test_invalid_config_exits_78_naming_the_key(tmp_path: Path) -> None:
    config = write(tmp_path / "bad.toml", '[sync]\ninterval = "90 minutes"\n')
    result = run_cli("check-config", "--config", str(config))
    assert result.returncode == 78
    assert 'sync.interval: "90 minutes" is not a duration like 30m, 1h30m' in result.stderr


def test_missing_file_and_bad_toml_exit_78(tmp_path: Path) -> None:
    assert run_cli("check-config", "--config", str(tmp_path / "nope.toml")).returncode == 78
    broken = write(tmp_path / "broken.toml", "[docmost\n")
    result = run_cli("check-config", "--config", str(broken))
    assert result.returncode == 78
    assert "not valid TOML" in result.stderr


def test_example_config_is_accepted_once_a_password_is_given(tmp_path: Path) -> None:
    example = REPO / "config.example.toml"
    assert run_cli("check-config", "--config", str(example)).returncode == 78  # no password source yet
    result = run_cli(
        "check-config", "--config", str(example), env={"DOCMOST_SYNCD_DOCMOST__PASSWORD": "s3cret-pw"}
    )
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["docmost"]["password"] == "**********"
    assert printed["sync"]["interval"] == "30m"
    assert "s3cret-pw" not in result.stdout + result.stderr


def test_password_file_and_systemd_credential(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = write(tmp_path / "pw", "from-file\n")
    config = write(tmp_path / "c.toml", f'[docmost]\npassword_file = "{secret}"\n')
    assert load_config(config).settings.docmost.password.get_secret_value() == "from-file"  # type: ignore[union-attr]
    creds = tmp_path / "creds"
    creds.mkdir()
    write(creds / "docmost-password", "from-credential")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    plain = write(tmp_path / "plain.toml", "")
    assert load_config(plain).settings.docmost.password.get_secret_value() == "from-credential"  # type: ignore[union-attr]


def test_unreadable_password_file_names_the_key(tmp_path: Path) -> None:
    config = write(tmp_path / "c.toml", f'[docmost]\npassword_file = "{tmp_path / "missing"}"\n')
    with pytest.raises(ConfigError) as error:
        load_config(config)
    assert error.value.problems[0].startswith("docmost.password_file: cannot read")


def test_world_readable_config_with_password_warns(tmp_path: Path) -> None:
    config = write(tmp_path / "c.toml", '[docmost]\npassword = "hunter22"\n', mode=0o644)
    loaded = load_config(config)
    assert len(loaded.warnings) == 1
    assert "readable by group or others" in loaded.warnings[0]
    assert "hunter22" not in loaded.warnings[0]
    private = write(tmp_path / "p.toml", '[docmost]\npassword = "hunter22"\n', mode=0o600)
    assert load_config(private).warnings == []


def test_secret_never_in_repr_or_errors(tmp_path: Path) -> None:
    config = write(tmp_path / "c.toml", '[docmost]\npassword = "hunter22"\n')
    loaded = load_config(config)
    assert "hunter22" not in repr(loaded.settings)
    bad = write(tmp_path / "bad.toml", '[docmost]\npassword = ["hunter22"]\n')
    with pytest.raises(ConfigError) as error:
        load_config(bad)
    assert "hunter22" not in str(error.value)


def test_interval_and_cron_are_exclusive(tmp_path: Path) -> None:
    config = write(tmp_path / "c.toml", '[sync]\ninterval = "30m"\ncron = "*/5 * * * *"\n')
    with pytest.raises(ConfigError, match=r"either sync\.interval or sync\.cron"):
        load_config(config)


def test_log_stream_stdout_moves_the_log_but_never_into_printed_results(tmp_path: Path) -> None:
    """The container image sets log.stream = stdout (its log collector reads stdout); a command
    whose result is printed on stdout keeps its log lines on stderr, so the result still parses."""
    docs = tmp_path / "docs"
    docs.mkdir()
    config = write(tmp_path / "c.toml", f'[output]\ndir = "{docs}"\n[log]\nformat = "json"\n')
    to_stdout = {"DOCMOST_SYNCD_LOG__STREAM": "stdout"}

    recover = run_cli("recover", "--config", str(config), env=to_stdout)
    assert recover.returncode == 0, recover.stderr
    assert [json.loads(line)["event"] for line in recover.stdout.splitlines()] == ["recovery.finished"]
    assert recover.stderr == ""
    assert '"event"' in run_cli("recover", "--config", str(config)).stderr  # stderr by default

    shared = write(
        tmp_path / "shared.toml",
        f'[docmost]\npassword = "hunter22"\n[output]\ndir = "{docs}"\n[log]\nformat = "json"\n',
        mode=0o644,
    )
    checked = run_cli("check-config", "--config", str(shared), env={**to_stdout, "DOCMOST_SYNCD_DOCMOST__URL": "https://docs.example.com", "DOCMOST_SYNCD_DOCMOST__EMAIL": "a@example.com"})  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["log"]["stream"] == "stdout"  # the result alone on stdout
    assert json.loads(checked.stderr.splitlines()[0])["event"] == "config.warning"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[sync]\nconcurrency = true\n", "sync.concurrency: True is not a number"),
        ('[docmost]\nverify_tls = "yes"\n', "docmost.verify_tls: 'yes' is not true or false"),
        ('[docmost]\ntimeout_seconds = "60"\n', "docmost.timeout_seconds: '60' is not a number"),
        ("[docmost]\nretries = 2.5\n", "docmost.retries: 2.5 is not a whole number"),
        ('[docmost]\npassword = ""\n', "docmost.password: empty; leave the key out, or give the secret"),
        ('[docmost]\napi_token = " "\n', "docmost.api_token: empty; leave the key out, or give the secret"),
    ],
)
def test_the_file_s_types_are_strict(tmp_path: Path, text: str, problem: str) -> None:
    config = write(tmp_path / "c.toml", text)
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert caught.value.problems == [f"{problem} (from {config})"]


def test_the_environment_still_gives_numbers_and_switches_as_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCMOST_SYNCD_DOCMOST__TIMEOUT_SECONDS", "30")
    monkeypatch.setenv("DOCMOST_SYNCD_DOCMOST__VERIFY_TLS", "false")
    settings = load_config(write(tmp_path / "c.toml", "[sync]\nconcurrency = 3\n")).settings
    assert (settings.docmost.timeout_seconds, settings.docmost.verify_tls, settings.sync.concurrency) == (30.0, False, 3)


def test_public_url_is_an_http_url_without_its_trailing_slash() -> None:
    assert Settings(docmost={"public_url": "https://wiki.example.com/"}).docmost.public_url == "https://wiki.example.com"
    with pytest.raises(ValueError, match=r'public_url "wiki\.example\.com" is not an http'):
        Settings(docmost={"public_url": "wiki.example.com"})
