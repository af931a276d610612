"""The README's first hour, run as written: each block marked ``<!-- readme-test: NAME -->`` is run
in order in a temporary folder, and what it prints is compared with what the README says.

Installing is the one thing not run here (tests reach no package index): the blocks run with the
interpreter and the docmost-syncd that run the tests, standing in for ``.venv/bin``; the
set-up block's install commands are checked against what ``.ci/run`` runs instead."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.daemon_process import free_port
from tests.sitekit import KIT, NODE, NODE_MISSING, NPM, make_site

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"<!-- readme-test: (?P<name>[\w-]+) -->\n```sh\n(?P<body>.*?)\n```", re.DOTALL)
BLOCKS = {match.group("name"): match.group("body") for match in BLOCK.finditer(README)}


def commands(name: str) -> list[str]:
    """A block's commands (continuation lines joined), without comment lines."""
    joined = BLOCKS[name].replace("\\\n", " ")
    found = [line.split("  #")[0].strip() for line in joined.splitlines() if not line.lstrip().startswith("#")]
    return [command for command in found if command]


def expected_output(name: str) -> list[str]:
    """The lines a block says its commands print (``# …`` lines, in order)."""
    return [line[2:] for line in BLOCKS[name].splitlines() if line.startswith("# ")]


def run(command: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """A README command with ``.venv/bin/`` standing for this interpreter's environment."""
    here = Path(sys.executable).parent
    command = command.replace(".venv/bin/python", sys.executable).replace(".venv/bin/", f"{here}/")
    return subprocess.run(
        command, shell=True, cwd=cwd, capture_output=True, text=True, timeout=600, check=False,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("DOCMOST_SYNCD_")}, **env},
    )  # fmt: skip


def test_the_blocks_are_there() -> None:
    assert list(BLOCKS) == ["set-up", "status", "site-kit", "check-config", "container"]


def test_the_set_up_is_two_commands_and_ci_runs_the_second() -> None:
    install_and_demo, tests = commands("set-up")
    assert install_and_demo == "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/docmost-syncd demo"
    assert tests == ".venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"
    assert tests in (REPO / ".ci" / "run").read_text()


@pytest.fixture(scope="module")
def first_hour(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder where the set-up's main job ran: the demo, as its command says."""
    if shutil.which("docmost-syncd", path=str(Path(sys.executable).parent)) is None:
        pytest.skip(f"docmost-syncd is not installed next to {sys.executable} (pip install -e . does that)")
    folder = tmp_path_factory.mktemp("first-hour")
    demo = commands("set-up")[0].split(" && ")[-1]
    done = run(demo, folder)
    assert done.returncode == 0, done.stderr[-3000:]
    said = README.split("```\ndocmost-syncd synced", 1)[1].split(" into ", 1)[0]
    assert f"docmost-syncd synced{said} into {folder / 'site-docs'}." in done.stdout
    assert sorted(p.name for p in (folder / "site-docs").iterdir() if not p.name.startswith(".")) == ["kitchen", "sec-common"]
    return folder


def test_status_prints_what_the_readme_shows(first_hour: Path) -> None:
    (command,) = commands("status")
    done = run(command, first_hour)
    assert done.returncode == 0, done.stderr
    stamp = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
    assert [stamp.sub("T", line) for line in done.stdout.splitlines()] == [stamp.sub("T", line) for line in expected_output("status")]


def test_check_config_on_the_example_says_what_the_readme_says(tmp_path: Path) -> None:
    shutil.copy(REPO / "config.example.toml", tmp_path)
    without, with_password = commands("check-config")
    done = run(without, tmp_path)
    assert done.returncode == 78
    assert done.stderr.splitlines() == expected_output("check-config")[:2]
    env = dict(part.split("=", 1) for part in with_password.split()[:1])
    done = run(with_password.split(" ", 1)[1], tmp_path, **env)
    assert done.returncode == 0, done.stderr
    assert '"password": "**********"' in done.stdout


@pytest.mark.docusaurus
@pytest.mark.skipif(NODE is None or NPM is None, reason=NODE_MISSING)
def test_the_site_kit_builds_and_serves_the_demo_where_the_readme_says(
    first_hour: Path, kit_modules: Path
) -> None:
    site = make_site(first_hour / "kit", KIT, kit_modules)  # `npm ci` done: the kit's packages
    install, build_and_serve = commands("site-kit")
    assert install == "cd site && npm ci"
    build, serve = build_and_serve.split(" && ")
    docs = str(first_hour / "site-docs")
    built = run(build, site, DOCMOST_SYNCD_DOCS=docs)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    port = free_port()  # the README's other port form: `npm run serve -- --port N`
    server = subprocess.Popen(
        f"{serve} -- --port {port} --no-open", shell=True, cwd=site, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "DOCMOST_SYNCD_DOCS": docs}, start_new_session=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        for line in server.stdout:  # the server says when it listens
            if f"localhost:{port}" in line:
                break
        home = httpx.get(f"http://127.0.0.1:{port}/", timeout=30)
        assert home.status_code == 200
        assert 'href="/docs/kitchen"' in home.text and 'href="/docs/sec-common"' in home.text
        assert httpx.get(f"http://127.0.0.1:{port}/docs/kitchen/", timeout=30).status_code == 200
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    assert "3100" in BLOCKS["site-kit"] and '"serve": "docusaurus serve --port 3100"' in (KIT / "package.json").read_text()


def test_the_container_block_builds_the_image_as_written(tmp_path_factory: pytest.TempPathFactory) -> None:
    if shutil.which("podman") is None:
        pytest.skip("podman is not installed (.ci/container-prep installs it)")
    cache = REPO / ".ci" / "cache"
    if not (cache / "base-bookworm-python.tar").is_file() or not (cache / "wheels" / ".pyproject-sha256").is_file():
        pytest.skip(".ci/container-prep has not made the base image and the wheels on this machine")
    prep, build, conf, podman_run = commands("container")
    assert (prep, build) == (".ci/container-prep", "scripts/podman-build-offline")
    assert conf.startswith("export CONTAINERS_CONF=") and podman_run.startswith("podman run ")
    started = time.monotonic()
    # tests/test_container.py builds with this script into its own storage and runs the image;
    # here the script is checked as the README calls it, but for that storage.
    tmp_path = tmp_path_factory.mktemp("podman")  # podman wants a short runroot
    conf_file = tmp_path / "containers.conf"
    conf_file.write_text("[containers]\ndefault_ulimits = []\n")
    storage = f"--root {tmp_path / 'storage'} --runroot {tmp_path / 'run'}"
    done = subprocess.run(
        [str(REPO / build), "localhost/docmost-syncd:readme"], cwd=REPO, capture_output=True, text=True,
        timeout=1200, check=False, env={**os.environ, "PODMAN_ARGS": storage, "CONTAINERS_CONF": str(conf_file)},
    )  # fmt: skip
    subprocess.run(["podman", *storage.split(), "system", "reset", "--force"], capture_output=True, check=False)
    print(f"\nscripts/podman-build-offline: {time.monotonic() - started:.1f} s")
    assert done.returncode == 0, done.stderr[-3000:]
