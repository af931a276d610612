"""The container image, built with podman from the Dockerfile and run as a user would run it:
read-only root filesystem, no root, against the loopback Docmost double.

podman keeps its images and containers under tmp_path (``--root``), so the test touches no
machine-wide storage. Where no registry is reachable the base image is one made from Debian's
packages, and pip installs from a folder of wheels: `.ci/container-prep` makes both once."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from tests.conftest import PASSWORD
from tests.daemon_process import EVENT_TIMEOUT, DaemonProcess, free_port, hang_page_requests, leftovers
from tests.docmost_double import DocmostDouble, published_page_count

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / ".ci" / "cache"
BASE_TAR = CACHE / "base-bookworm-python.tar"
WHEELS = CACHE / "wheels"
PODMAN = shutil.which("podman")
SPACES = ["sec-common", "eng", "bulk"]

needs_podman = pytest.mark.skipif(PODMAN is None, reason="podman is not installed (.ci/run installs it)")


@dataclass
class Podman:
    """podman with this test's own storage and the settings this kind of machine needs."""

    root: Path
    env: dict[str, str]
    runtime: list[str]

    def argv(self, *args: str) -> list[str]:
        assert PODMAN is not None
        storage = ["--root", str(self.root / "storage"), "--runroot", str(self.root / "run")]
        return [PODMAN, *storage, *self.runtime, *args]

    def __call__(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(*args), env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )


@dataclass
class Image:
    podman: Podman
    tag: str
    build_seconds: float
    size: str


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Image]:
    if not BASE_TAR.is_file() or not (WHEELS / ".pyproject-sha256").is_file():
        pytest.skip(f"{BASE_TAR} or {WHEELS} is missing: .ci/container-prep makes them (.ci/run runs it)")
    wanted = hashlib.sha256((REPO / "pyproject.toml").read_bytes()).hexdigest()
    if (WHEELS / ".pyproject-sha256").read_text().strip() != wanted:
        pytest.skip(f"{WHEELS} holds the wheels of an older pyproject.toml: .ci/container-prep remakes them")
    root = tmp_path_factory.mktemp("podman")
    conf = root / "containers.conf"
    # crun and podman's default ulimits fail on hosts with cgroups in hybrid mode; runc works.
    conf.write_text("[containers]\ndefault_ulimits = []\n")
    env = {**os.environ, "CONTAINERS_CONF": str(conf)}
    podman = Podman(root, env, ["--runtime", "runc"] if shutil.which("runc") else [])
    started = time.monotonic()
    # The README's offline build, as written: one script.
    storage = f"--root {root / 'storage'} --runroot {root / 'run'}"
    built = subprocess.run(
        [str(REPO / "scripts" / "podman-build-offline"), "localhost/docmost-syncd:test"],
        env={**env, "PODMAN_ARGS": storage}, capture_output=True, text=True, timeout=1200, check=False,
    )  # fmt: skip
    build_seconds = time.monotonic() - started
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-4000:]
    size = podman("image", "inspect", "--format", "{{.Size}}", "localhost/docmost-syncd:test").stdout.strip()
    print(f"\nbase imported and image built in {build_seconds:.1f} s, {int(size) / 1e6:.0f} MB")
    yield Image(podman, "localhost/docmost-syncd:test", build_seconds, size)
    podman("rm", "--all", "--force")
    podman("system", "reset", "--force")


@pytest.fixture
def served() -> Iterator[tuple[DocmostDouble, str]]:
    double = DocmostDouble(password=PASSWORD)
    with double.serve() as url:
        yield double, url


def container_args(tmp_path: Path, url: str, bind: str) -> list[str]:
    """`podman run` as the README shows it: read-only, the output a volume, the password a file."""
    docs = tmp_path / "docs"
    docs.mkdir()
    password = tmp_path / "docmost-password"
    password.write_text(PASSWORD + "\n")
    password.chmod(0o600)
    return [
        "--network=host", "--read-only", "--cap-drop=all", "--security-opt=no-new-privileges",
        "--volume", f"{docs}:/docs:U",  # :U hands the folder to the image's user
        "--volume", f"{password}:/run/secrets/docmost_password:ro,U",
        "--env", f"DOCMOST_SYNCD_DOCMOST__URL={url}",
        "--env", "DOCMOST_SYNCD_DOCMOST__EMAIL=admin@example.com",
        "--env", "DOCMOST_SYNCD_DOCMOST__PASSWORD_FILE=/run/secrets/docmost_password",
        "--env", f"DOCMOST_SYNCD_SYNC__SPACES_INCLUDE={json.dumps(SPACES)}",
        "--env", f"DOCMOST_SYNCD_HTTP__BIND={bind}",
    ]  # fmt: skip


def page_count(folder: Path) -> int:
    return sum(1 for path in folder.rglob("*") if path.suffix in (".md", ".mdx"))


@needs_podman
def test_sync_once_publishes_as_a_non_root_user_on_a_read_only_root(
    image: Image, served: tuple[DocmostDouble, str], tmp_path: Path
) -> None:
    double, url = served
    args = container_args(tmp_path, url, f"127.0.0.1:{free_port()}")
    result = image.podman("run", "--rm", *args, image.tag, "sync", "--once", timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert '"event": "sync.finished"' in result.stdout  # JSON logs on stdout (log.stream)
    for slug in SPACES:
        assert page_count(tmp_path / "docs" / slug) == published_page_count(double, slug), slug
    assert PASSWORD not in result.stdout + result.stderr
    owners = {path.stat().st_uid for path in (tmp_path / "docs").rglob("*")}
    assert owners == {10001}  # what the container wrote, it wrote as its own unprivileged user


@needs_podman
def test_run_is_healthy_publishes_and_stops_cleanly_on_podman_stop(
    image: Image, served: tuple[DocmostDouble, str], tmp_path: Path
) -> None:
    double, url = served
    port = free_port()
    name = f"syncd-{port}"
    args = container_args(tmp_path, url, f"127.0.0.1:{port}")
    run = image.podman.argv("run", "--rm", "--name", name, "--env", "DOCMOST_SYNCD_SYNC__INTERVAL=1h",
                            "--env", "DOCMOST_SYNCD_SYNC__SHUTDOWN_DEADLINE=5s", *args, image.tag)  # fmt: skip
    daemon = DaemonProcess(None, image.podman.env, argv=run)
    try:
        first = daemon.wait_for("sync.finished")
        assert (first["published"], first["failed"]) == (3, 0)
        for slug in SPACES:
            assert page_count(tmp_path / "docs" / slug) == published_page_count(double, slug), slug
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
        health = image.podman("healthcheck", "run", name, timeout=60)
        assert health.returncode == 0, health.stdout + health.stderr  # the image's HEALTHCHECK
        status = image.podman("exec", name, "cat", "/proc/1/status").stdout
        uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
        assert set(uid_line.split()[1:]) == {"10001"}  # PID 1 is docmost-syncd, not root

        # `podman stop` while the server sits on a page request: the daemon (PID 1) takes
        # SIGTERM, abandons the request, exits 0; the published copy stays whole.
        before = {slug: (tmp_path / "docs" / slug).stat().st_ino for slug in SPACES}
        double.edit(double.pages_of("bulk")[0]["id"])
        hang_page_requests(double)
        kill = image.podman("kill", "--signal", "USR1", name)
        assert kill.returncode == 0, kill.stderr
        assert double.gate_reached.wait(EVENT_TIMEOUT)
        stopping = time.monotonic()
        stop = image.podman("stop", "--time", "10", name, timeout=60)
        stop_seconds = time.monotonic() - stopping
        assert stop.returncode == 0, stop.stderr
        assert daemon.proc.wait(timeout=60) == 0  # the container's exit status, through podman run
        print(f"\npodman stop with the server holding a request: {stop_seconds:.2f} s")
        assert stop_seconds < 10  # within its deadline: never killed
        # podman writes lines of its own (not JSON: "raw") before the container starts and, on a
        # busy machine, after it ends; the daemon's own events end with daemon.stopped.
        events = [e.get("event") for e in daemon.drain() if e.get("event") != "raw"]
        assert "space.cancelled" in events and events[-1] == "daemon.stopped"
        assert leftovers(tmp_path / "docs") == []
        assert {slug: (tmp_path / "docs" / slug).stat().st_ino for slug in SPACES} == before
    finally:
        if daemon.proc.poll() is None:
            image.podman("kill", name)
        daemon.stop()


def test_the_compose_example_runs_docmost_as_documented_and_syncd_without_privileges() -> None:
    compose = yaml.safe_load((REPO / "examples" / "compose" / "compose.yaml").read_text())
    services = compose["services"]
    # Docmost's own services, as its docker-compose.yml has them
    assert services["docmost"]["image"] == "docmost/docmost:latest"
    assert services["docmost"]["depends_on"] == ["db", "redis"]
    assert {"db", "redis"} <= set(services)
    syncd = services["docmost-syncd"]
    assert syncd["build"] == "../.." and (REPO / "Dockerfile").is_file()
    assert syncd["read_only"] is True and syncd["cap_drop"] == ["ALL"] and "user" not in syncd
    assert syncd["tmpfs"] == ["/tmp"] and syncd["volumes"] == ["docs:/docs"]
    environment = syncd["environment"]
    assert environment["DOCMOST_SYNCD_DOCMOST__URL"] == "http://docmost:3000"
    assert environment["DOCMOST_SYNCD_DOCMOST__PASSWORD_FILE"] == "/run/secrets/docmost_password"
    assert syncd["secrets"] == ["docmost_password"] and "docmost_password" in compose["secrets"]
    assert "docs:/docs:ro" in services["site"]["volumes"]
    script = REPO / "examples" / "compose" / "build-site.sh"
    assert subprocess.run(["sh", "-n", str(script)], check=False).returncode == 0
    dockerfile = (REPO / "Dockerfile").read_text()
    for line in ("ARG BASE=python:3.12-slim", "FROM ${BASE}", 'ENTRYPOINT ["docmost-syncd"]', 'CMD ["run"]',
                 "VOLUME /docs", "USER docmost-syncd:docmost-syncd", "HEALTHCHECK"):  # fmt: skip
        assert line in dockerfile, line
