"""The house, kept by reading every module's imports (``ast``): each failure names the module, the
import and the rule it breaks.

    Face (cli, daemon, demo) → Run (run, convert) → build → parts (sources, site, render, publish)
    → base (docmost, cache) → core (model, config, errors, log)

Nothing imports upward; and within the parts:
- render/ imports nothing of docmost-syncd but plain data (model) and the site's answer of where
  a file is published (site.layout);
- publish/ knows files and folders: nothing of Docmost, names or rendering, nor the page cache
  (the run owns it);
- docmost/ speaks HTTP; the data shapes everyone uses live in model;
- the cache stores and returns records, it computes nothing of rendering;
- model imports nothing of docmost-syncd.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "docmost_syncd"
LAYERS = [
    {"cli", "__main__", "daemon", "demo"},
    {"run", "convert"},
    {"build"},
    {"sources", "site", "render", "publish"},
    {"docmost", "cache"},
    {"model", "config", "errors", "log", "__init__"},
]
ONLY = {
    "render": {"render", "model", "site.layout"},
    "publish": {"publish", "config", "errors", "log", "model"},  # the page cache is the run's
    "docmost": {"docmost", "config", "errors", "log", "model", "__init__"},
    "cache": {"cache", "log", "model", "errors"},
    "model": {"model"},
}


def part(dotted: str) -> str:
    """``docmost_syncd.sources.archive.nodes`` → ``sources``; the package itself → ``__init__``."""
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def layer(name: str) -> int:
    return next(index for index, members in enumerate(LAYERS) if name in members)


def imports() -> list[tuple[str, str]]:
    """(module, imported docmost_syncd module) for every import in the package, nested ones too."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        module = ".".join(relative.parts).removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("docmost_syncd"):
                targets = [node.module] if node.module != "docmost_syncd" else [f"docmost_syncd.{a.name}" for a in node.names]
                found += [(module, target) for target in targets]
            elif isinstance(node, ast.Import):
                found += [(module, a.name) for a in node.names if a.name.startswith("docmost_syncd")]
    return found


def allowed(rule: set[str], target: str) -> bool:
    dotted = target.removeprefix("docmost_syncd.")
    return any(dotted == name or dotted.startswith(name + ".") for name in rule) or (
        "__init__" in rule and target == "docmost_syncd.__version__"
    )


def test_every_module_belongs_to_a_layer() -> None:
    names = {part(module) for module, _target in imports()} | {part(target) for _module, target in imports()}
    assert {name for name in names if not any(name in members for members in LAYERS)} <= {"__version__"}


@pytest.mark.parametrize("rule", sorted(ONLY))
def test_each_part_imports_only_what_its_rule_allows(rule: str) -> None:
    broken = [
        f"{module} imports {target}: {rule} may import only {sorted(ONLY[rule])}"
        for module, target in imports()
        if part(module) == rule and part(target) != "__version__" and not allowed(ONLY[rule], target)
    ]
    assert broken == []


def test_nothing_imports_upward() -> None:
    broken = []
    for module, target in imports():
        source, destination = part(module), part(target)
        if destination == "__version__":
            continue
        if layer(destination) < layer(source):
            broken.append(f"{module} imports {target}: {destination} is above {source}")
    assert broken == []
