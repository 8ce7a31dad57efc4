"""The core never imports the CLI, TUI or gateway (it emits events; front ends subscribe)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import mom_cli

PACKAGE = Path(mom_cli.__file__).parent
CORE = (
    "routing",
    "engine",
    "edits",
    "validate",
    "index",
    "ledger",
    "providers",
    "rules",
    "workflows",
)
FRONT_ENDS = ("mom_cli.cli", "mom_cli.tui", "mom_cli.gateway")
SERVICE = "mom_cli.service"


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_no_core_module_imports_a_front_end() -> None:
    offenders = []
    for part in CORE:
        for path in sorted((PACKAGE / part).rglob("*.py")):
            for name in _imports(path):
                if name.startswith((*FRONT_ENDS, SERVICE, "textual")):
                    offenders.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert offenders == []


def test_service_layer_imports_no_front_end() -> None:
    """CLI, TUI and gateway call the service layer; it never calls them, nor Textual."""
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in sorted((PACKAGE / "service").rglob("*.py"))
        for name in _imports(path)
        if name.startswith((*FRONT_ENDS, "textual", "typer", "rich"))
    ]
    assert offenders == []


def test_only_the_tui_imports_textual() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if "tui" not in path.relative_to(PACKAGE).parts
        for name in _imports(path)
        if name.startswith("textual")
    ]
    assert offenders == []


def test_engine_modules_load_without_the_cli() -> None:
    modules = [
        f"mom_cli.{part}.{p.stem}"
        for part in ("routing", "engine")
        for p in sorted((PACKAGE / part).glob("*.py"))
        if p.stem != "__init__"
    ]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "front = ('mom_cli.cli', 'mom_cli.tui', 'mom_cli.gateway', 'typer', 'rich')\n"
        "bad = [m for m in sys.modules if m.startswith(front)]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
