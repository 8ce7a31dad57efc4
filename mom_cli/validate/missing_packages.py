"""A package the project's interpreter does not have is not a code fault.

On python-humanize, a change that imported `yaml` (PyYAML not installed) failed six test
modules with `ModuleNotFoundError: No module named 'yaml'`. fix-build made a step of
them, and asked for the next paid tier: a model can only "fix" that by deleting the
import the user wrote. So a missing module that is neither the project's own, nor the
standard library's, nor a near-miss spelling of either (a typo a rule or a model may fix)
is reported once, with the interpreter that lacks it and the command that installs it,
and no model is asked about it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mom_cli.validate.diagnostics import Diagnostic

_NO_MODULE = re.compile(r"No module named '(?P<name>[A-Za-z_][\w.]*)'")
# import name → the distribution pip installs it from, where the two differ
_DISTRIBUTIONS = {
    "yaml": "PyYAML",
    "PIL": "Pillow",
    "cv2": "opencv-python",
    "sklearn": "scikit-learn",
    "skimage": "scikit-image",
    "bs4": "beautifulsoup4",
    "dateutil": "python-dateutil",
    "dotenv": "python-dotenv",
    "jwt": "PyJWT",
    "serial": "pyserial",
    "Crypto": "pycryptodome",
    "OpenSSL": "pyOpenSSL",
    "magic": "python-magic",
    "docx": "python-docx",
    "attr": "attrs",
    "google": "protobuf",
    "MySQLdb": "mysqlclient",
    "psycopg2": "psycopg2-binary",
    "fitz": "PyMuPDF",
    "win32api": "pywin32",
}


@dataclass
class MissingPackage:
    """One module the project's interpreter lacks, and the failures it explains."""

    module: str
    failures: list[Diagnostic] = field(default_factory=list)
    importers: list[str] = field(default_factory=list)  # "file:line" that imports it

    def hint(self, python: str) -> str:
        """What the user reads: what is missing, who needs it, how to install it."""
        dist = _DISTRIBUTIONS.get(self.module, self.module)
        where = f" (imported at {', '.join(self.importers[:3])})" if self.importers else ""
        count = len(self.failures)
        return (
            f"{python} has no module '{self.module}'{where}; {count} failure(s) come from "
            f"it. Install it, e.g. `{python} -m pip install {dist}`, then rerun. No model "
            "is asked: a missing package is not a code fault."
        )


def missing_packages(
    diagnostics: Sequence[Diagnostic], root: Path, project_modules: Iterable[str] = ()
) -> list[MissingPackage]:
    """The third-party modules behind `diagnostics`' ModuleNotFoundErrors, in order of
    first appearance. Errors make a package missing; a warning on the same module (the
    build stage's import check) only says where it is imported."""
    known = set(project_modules) | _own_modules(root)
    found: dict[str, MissingPackage] = {}
    for d in diagnostics:
        m = _NO_MODULE.search(d.message)
        if m is None:
            continue
        top = m.group("name").split(".")[0]
        if not _third_party(top, known):
            continue
        entry = found.setdefault(top, MissingPackage(top))
        if d.severity == "error":
            entry.failures.append(d)
        elif d.file and d.line and f"{d.file}:{d.line}" not in entry.importers:
            entry.importers.append(f"{d.file}:{d.line}")
    for entry in found.values():
        if not entry.importers:  # no build warning: a failing test module's own import
            entry.importers = _import_lines(entry, root)
    return [p for p in found.values() if p.failures]


def _import_lines(entry: MissingPackage, root: Path) -> list[str]:
    """ "file:line" of the failures whose reported line imports the module itself."""
    uses = re.compile(rf"^\s*(?:import|from)\s+{re.escape(entry.module)}\b")
    found: list[str] = []
    for d in entry.failures:
        path = (root / d.file).resolve() if d.file else root
        if d.line <= 0 or not path.is_relative_to(root.resolve()) or path == root.resolve():
            continue  # a test's output names the file: read nothing outside the repo
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        if d.line <= len(lines) and uses.match(lines[d.line - 1]):
            found.append(f"{d.file}:{d.line}")
    return list(dict.fromkeys(found))


def failures_of(packages: Sequence[MissingPackage]) -> set[int]:
    """Identities of the diagnostics the packages explain (to leave out of model steps)."""
    return {id(d) for p in packages for d in p.failures}


def _third_party(top: str, known: set[str]) -> bool:
    if top in known or top in sys.stdlib_module_names:
        return False
    # a near-miss of a module that exists is a typo (`jsno`), which code can fix; `toml`
    # is not one of `tomllib`
    pool = known | set(sys.stdlib_module_names)
    return not any(_near_miss(top, name) for name in pool)


def _near_miss(typed: str, name: str) -> bool:
    """One letter added, dropped or changed, or letters swapped; both names 4+ letters
    long (`lxml` is a package, not a typo of `xml`)."""
    if min(len(typed), len(name)) < 4 or abs(len(typed) - len(name)) > 1:
        return False
    if len(typed) == len(name) and sorted(typed) == sorted(name):
        return True
    return _one_edit(typed, name)


def _one_edit(a: str, b: str) -> bool:
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]


def _own_modules(root: Path) -> set[str]:
    """Top-level importable names the repository itself provides (flat and src layout)."""
    names: set[str] = set()
    for base in (root, root / "src"):
        try:
            entries = list(base.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.suffix == ".py":
                names.add(entry.stem)
            elif entry.is_dir() and entry.name.isidentifier():
                names.add(entry.name)
    return names
