"""Building published output with a real Docusaurus: the site kit (``site/``) and a plain site
(``tests/site``, the classic preset only), both on the kit's pinned packages."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.loopback import running

ROOT = Path(__file__).resolve().parent.parent
KIT = ROOT / "site"
PLAIN = ROOT / "tests" / "site"
NODE = shutil.which("node")
NPM = shutil.which("npm")
NODE_MISSING = "Node.js and npm are not installed on this machine"
CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
CHROMIUM_MISSING = "Debian's chromium and chromium-driver are not installed (.ci/run installs them)"
# The marks of a test that builds the kit and reads it in Chromium: each skips, saying why, where
# its tool is missing.
KIT_IN_BROWSER = [
    pytest.mark.docusaurus,
    pytest.mark.skipif(NODE is None or NPM is None, reason=NODE_MISSING),
    pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None, reason=CHROMIUM_MISSING),
]


def install_node_modules(scratch: Path) -> Path:
    """The kit's packages: site/node_modules when .ci/run installed them, else a private
    `npm ci` from the kit's lockfile into ``scratch``."""
    installed = KIT / "node_modules"
    if (installed / "@docusaurus" / "core").is_dir():
        return installed
    assert NPM is not None
    shutil.copy(KIT / "package.json", scratch)
    shutil.copy(KIT / "package-lock.json", scratch)
    result = subprocess.run(
        [NPM, "ci", "--no-audit", "--no-fund"],
        cwd=scratch,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"npm ci of the site kit failed:\n{result.stderr[-3000:]}")
    return scratch / "node_modules"


def make_site(root: Path, template: Path, node_modules: Path) -> Path:
    """A throwaway copy of a site whose build and caches stay under ``root``."""
    site = root / "site"
    site.mkdir(parents=True)
    for entry in template.iterdir():
        if entry.name in ("node_modules", "build", ".docusaurus", "package-lock.json"):
            continue
        if entry.is_dir():
            shutil.copytree(entry, site / entry.name)
        else:
            shutil.copy(entry, site / entry.name)
    modules = site / "node_modules"
    modules.mkdir()
    for entry in node_modules.iterdir():
        if entry.name != ".cache":
            (modules / entry.name).symlink_to(entry)
    return site


def build(site: Path, docs: Path, fmt: str, *, math: bool = True) -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    env = {
        **os.environ,
        "DOCMOST_SYNCD_DOCS": str(docs),
        "DOCMOST_SYNCD_FORMAT": fmt,
        "DOCMOST_SYNCD_MATH": "katex" if math else "off",
        "NO_COLOR": "1",
    }
    return subprocess.run(
        [NODE, "node_modules/@docusaurus/core/bin/docusaurus.mjs", "build", "--out-dir", f"build-{fmt}"],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )


@contextmanager
def serve_directory(folder: Path) -> Iterator[str]:
    """A built site on a loopback port, as any static web server would serve it."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            return None

    with running(ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(folder)))) as url:
        yield url


PITFALL_PAGES = {
    "Setup: OIDC login": "Front matter with a colon in the title.",
    "OIDC ": "A title with a trailing space.",
    "Placeholders": 'Replace {placeholder} and {a b} and {"key": "value"} here.',
    "Angles": "Empty <> and closing </> and latency <5ms and <https://example.com> autolink.",
    "Raw HTML": '<table style="width: 100%"><tr><td style="color: red" colspan="2">cell</td></tr></table>\n\n'
    'line<br>break and <img src="https://example.com/x.png"> image\n\n<!-- a comment -->',
    "Rule first": "---\n\nA body that starts with a horizontal rule.",
}


def write_pitfalls_zip(path: Path) -> int:
    """A space in Docmost's export layout whose pages are the Docusaurus pitfall inputs and every
    input of the original tool's Wrap* vectors (those whose output broke MDX included)."""
    vectors = json.loads((ROOT / "tests/fixtures/reference/original-tool-vectors.json").read_text())
    inputs = [
        str(v["input"])
        for v in vectors
        if v["step"] in ("wrap_placeholders", "wrap_angle_brackets", "wrap_raw_html")
    ]
    pages = dict(PITFALL_PAGES)
    for start in range(0, len(inputs), 10):
        pages[f"Vectors {start:03d}"] = "\n\n".join(
            f"Case {start + i}:\n\n{text}" for i, text in enumerate(inputs[start : start + 10])
        )
    metadata: dict[str, Any] = {"version": "0.95.0", "pages": {}}
    with zipfile.ZipFile(path, "w") as archive:
        for index, (title, body) in enumerate(pages.items()):
            name = title.replace(":", "").rstrip() + ".md"
            archive.writestr(name, f"# {title.strip()}\n\n{body}\n")
            metadata["pages"][quote(name)] = {
                "pageId": f"pitfall-{index}",
                "slugId": f"pit{index:07d}",
                "icon": None,
                "position": f"a{index:04d}",
                "parentPath": None,
            }
        archive.writestr("docmost-metadata.json", json.dumps(metadata))
    return len(pages)


@contextmanager
def headless_chromium(profile: Path) -> Iterator[Any]:
    """Debian's Chromium through its chromedriver, headless, with a profile under ``profile``.
    Dialogs are left open for the test to find, and the console is kept."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert CHROMIUM is not None and CHROMEDRIVER is not None
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    options.page_load_strategy = "eager"  # embeds point at the internet, which this machine has not
    options.set_capability("unhandledPromptBehavior", "ignore")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1400,1000", f"--user-data-dir={profile}",
    ):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
