"""The project's own flake8 settings, applied to the findings of mom's ruff.

A project without a ruff config is linted with mom's pinned default rules. When it does
configure flake8 (setup.cfg, tox.ini, .flake8, or `[tool.flake8]` in pyproject.toml), that
is the project's word on which codes matter: a finding its `ignore` or `per-file-ignores`
drops, or its `select` leaves out, must not fail validation, or fix-build would "fix" code
its owners decided was fine. Codes are matched by prefix, as flake8 does; they filter ruff's
output rather than being passed to ruff, which rejects plugin codes it does not know.
"""

from __future__ import annotations

import configparser
import fnmatch
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from mom_cli.validate.diagnostics import Diagnostic

_CODE = re.compile(r"\b[A-Z]{1,4}[0-9]{0,4}\b")
_INI_FILES = ("setup.cfg", "tox.ini", ".flake8")  # flake8's own search order


@dataclass(frozen=True)
class Flake8Config:
    source: str  # where it was read, for the stage note
    select: tuple[str, ...] = ()  # empty: everything mom checks
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())

    def keeps(self, d: Diagnostic) -> bool:
        """Would flake8, so configured, report this finding?"""
        code = d.code or ""
        if not code or code == "syntax":
            return True  # a syntax error is never ignorable
        if self.select and not code.startswith(self.select):
            return False
        if self.ignore and code.startswith(self.ignore):
            return False
        for pattern, codes in self.per_file_ignores:
            if _path_matches(d.file, pattern) and code.startswith(codes):
                return False
        return True


def _path_matches(rel: str, pattern: str) -> bool:
    pattern = pattern.strip().removeprefix("./").rstrip("/")
    return (
        fnmatch.fnmatch(rel, pattern)
        or fnmatch.fnmatch(Path(rel).name, pattern)
        or rel.startswith(pattern + "/")
    )


def _codes(value: object) -> tuple[str, ...]:
    text = ",".join(value) if isinstance(value, list) else str(value or "")
    text = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    return tuple(_CODE.findall(text))


def _per_file(value: object) -> tuple[tuple[str, tuple[str, ...]], ...]:
    text = "\n".join(value) if isinstance(value, list) else str(value or "")
    out = []
    for entry in re.split(r"[\n]+", text):
        entry = entry.split("#", 1)[0].strip().rstrip(",")
        if ":" in entry:
            pattern, codes = entry.split(":", 1)
            if pattern.strip() and _codes(codes):
                out.append((pattern.strip(), _codes(codes)))
    return tuple(out)


def _from_mapping(source: str, options: dict[str, object]) -> Flake8Config:
    get = {k.replace("_", "-").lower(): v for k, v in options.items()}.get
    return Flake8Config(
        source,
        select=_codes(get("select")) + _codes(get("extend-select")),
        ignore=_codes(get("ignore")) + _codes(get("extend-ignore")),
        per_file_ignores=_per_file(get("per-file-ignores")),
    )


def read_flake8_config(root: Path) -> Flake8Config | None:
    """The project's flake8 settings, or None when it has none (or they cannot be read)."""
    for name in _INI_FILES:
        path = root / name
        if not path.is_file():
            continue
        parser = configparser.RawConfigParser(strict=False)
        try:
            parser.read_string(path.read_text(encoding="utf-8", errors="replace"))
        except (configparser.Error, OSError):
            continue
        if parser.has_section("flake8"):
            return _from_mapping(name, dict(parser.items("flake8")))
    try:
        text = (root / "pyproject.toml").read_text(encoding="utf-8", errors="replace")
        table = tomllib.loads(text).get("tool", {}).get("flake8")
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return _from_mapping("pyproject.toml", table) if isinstance(table, dict) else None


def apply_flake8_config(
    diagnostics: Iterable[Diagnostic], config: Flake8Config | None
) -> list[Diagnostic]:
    """Drop the ruff findings the project's flake8 config would not report."""
    items = list(diagnostics)
    if config is None:
        return items
    return [d for d in items if d.tool != "ruff" or config.keeps(d)]
