"""The site kit's own settings (site/settings.js) and its Node check, read by a real Node: a
settings file outside the kit's files, one clear line for each mistake in it, a warning while the
site's address is the default, and a one-line refusal of a Node older than 20."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.sitekit import KIT, NODE, NODE_MISSING, make_site

pytestmark = pytest.mark.skipif(NODE is None, reason=NODE_MISSING)

LOAD_CONFIG = "require('./docusaurus.config.js')().then((c) => console.log(JSON.stringify({title: c.title, url: c.url, baseUrl: c.baseUrl, lang: c.i18n.defaultLocale, logo: c.themeConfig.navbar.logo || null, staticDirectories: c.staticDirectories})), (e) => { console.error(e.message); process.exit(1); })"


@pytest.fixture
def site(tmp_path: Path, kit_modules: Path) -> Path:
    return make_site(tmp_path, KIT, kit_modules)


def load(site: Path, **env: str) -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    return subprocess.run(
        [NODE, "-e", LOAD_CONFIG], cwd=site, capture_output=True, text=True, timeout=120, check=False,
        env={"PATH": "/usr/bin:/bin", "DOCMOST_SYNCD_DOCS": str(site / "no-docs"), **env},
    )  # fmt: skip


def test_without_settings_the_site_warns_that_its_address_is_the_default(site: Path) -> None:
    (site / "site.config.json").unlink(missing_ok=True)
    loaded = load(site)
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout)["url"] == "http://localhost"
    assert "warning: the site's address is still http://localhost" in loaded.stderr
    assert 'set "url" in' in loaded.stderr and "site.config.json" in loaded.stderr


def test_settings_from_a_file_outside_the_kit(site: Path, tmp_path: Path) -> None:
    owned = tmp_path / "mine"
    (owned / "brand").mkdir(parents=True)
    (owned / "brand" / "logo.png").write_bytes(b"\x89PNG")
    settings = {"url": "https://docs.example.com/", "baseUrl": "/handbook/", "title": "Handbook",
                "language": "ko", "assets": "brand", "logo": "logo.png"}  # fmt: skip
    (owned / "site.json").write_text(json.dumps(settings))
    loaded = load(site, DOCMOST_SYNCD_SITE_CONFIG=str(owned / "site.json"))
    assert loaded.returncode == 0, loaded.stderr
    config = json.loads(loaded.stdout)
    assert config == {
        "title": "Handbook", "url": "https://docs.example.com", "baseUrl": "/handbook/", "lang": "ko",
        "logo": {"src": "logo.png", "alt": "Handbook"}, "staticDirectories": ["static", str(owned / "brand")],
    }  # fmt: skip
    assert "warning" not in loaded.stderr


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"titel": "x"}, 'unknown key "titel"'),
        ({"url": "docs.example.com"}, '"url" must be the site\'s address without a path'),
        ({"url": "https://example.com/docs"}, "a path goes in \"baseUrl\""),
        ({"baseUrl": "docs"}, '"baseUrl" must start and end with /'),
        ({"logo": "logo.svg"}, '"logo" names a file in "assets": set "assets" too'),
        ({"navbar": [{"label": "x", "href": "javascript:alert(1)"}]}, '"navbar"[0] must be'),
    ],
    ids=["unknown-key", "no-scheme", "path-in-url", "base-url", "logo-without-assets", "script-link"],
)
def test_a_mistake_in_the_settings_is_one_line_naming_file_and_key(
    site: Path, tmp_path: Path, settings: dict[str, object], says: str
) -> None:
    file = tmp_path / "site.json"
    file.write_text(json.dumps(settings))
    loaded = load(site, DOCMOST_SYNCD_SITE_CONFIG=str(file))
    assert loaded.returncode == 78  # a configuration error, as docmost-syncd's own
    lines = loaded.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"[docmost-site] {file}: "), lines
    assert says in lines[0]


def test_a_missing_named_settings_file_is_an_error(site: Path, tmp_path: Path) -> None:
    loaded = load(site, DOCMOST_SYNCD_SITE_CONFIG=str(tmp_path / "nowhere.json"))
    assert loaded.returncode == 78 and "no such file" in loaded.stderr


def test_an_older_node_is_refused_in_one_line(site: Path, tmp_path: Path) -> None:
    """Node 18 is simulated (this machine has 20+): process.version as an older Node reports it."""
    assert NODE is not None
    older = tmp_path / "node18.js"
    older.write_text("Object.defineProperty(process, 'version', {value: 'v18.20.4'});\n")
    refused = subprocess.run([NODE, "-r", str(older), "check-node.js"], cwd=site, capture_output=True, text=True,
                             timeout=60, check=False)  # fmt: skip
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        "docmost-syncd site kit: Node.js 20 or newer is needed, this is v18.20.4 (install Node 20 LTS or newer)"
    ]
    current = subprocess.run([NODE, "check-node.js"], cwd=site, capture_output=True, text=True, timeout=60, check=False)
    assert current.returncode == 0 and current.stderr == ""
    package = json.loads((KIT / "package.json").read_text())
    assert package["engines"]["node"] == ">=20.0"
    assert package["scripts"]["prebuild"] == package["scripts"]["prestart"] == "node check-node.js"
    assert "engine-strict=true" in (KIT / ".npmrc").read_text()
