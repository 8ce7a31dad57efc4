"""Undefined names: CPython-style "Did you mean", missing imports, and refusals."""

from __future__ import annotations

from pathlib import Path

from git_repos import init_repo as make_repo
from rules_helpers import fix_with

from mom_cli.edits.match import apply_block
from mom_cli.rules.registry import RuleContext, all_rules
from mom_cli.rules.spelling import closest_name, osa_distance
from mom_cli.validate.diagnostics import Diagnostic


def _f821(name: str, line: int = 0, file: str = "m.py") -> Diagnostic:
    return Diagnostic("lint", file, line, f"Undefined name `{name}`", code="F821", tool="ruff")


def test_misspelt_local_is_renamed_in_its_function(tmp_path: Path) -> None:
    src = (
        "def total(xs):\n    result = 0\n    for x in xs:\n        result += x\n    return reslt\n"
    )
    fixed = fix_with("python.undefined_name", _f821("reslt", 5), src, tmp_path)
    assert fixed == src.replace("return reslt", "return result")


def test_name_error_from_test_output_works_too(tmp_path: Path) -> None:
    src = "def f(count):\n    return conut + 1\n"
    diag = Diagnostic("tests", "m.py", 0, "NameError: name 'conut' is not defined", tool="pytest")
    assert fix_with("python.undefined_name", diag, src, tmp_path) == src.replace("conut", "count")


def test_misspelt_builtin(tmp_path: Path) -> None:
    src = "def f(xs):\n    return lenn(xs)\n"
    assert fix_with("python.undefined_name", _f821("lenn", 2), src, tmp_path) == src.replace(
        "lenn", "len"
    )


def test_stdlib_module_gets_imported(tmp_path: Path) -> None:
    src = '"""Doc."""\n\nimport os\n\n\ndef f():\n    return json.dumps(os.sep)\n'
    fixed = fix_with("python.undefined_name", _f821("json", 7), src, tmp_path)
    assert fixed is not None and "import json\nimport os\n" in fixed  # isort's order


def test_stdlib_name_gets_imported(tmp_path: Path) -> None:
    src = "def f(p):\n    return Path(p)\n"
    fixed = fix_with("python.undefined_name", _f821("Path", 2), src, tmp_path)
    assert fixed == "from pathlib import Path\n" + src


def test_project_symbol_gets_imported(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r",
        {
            "pkg/__init__.py": "",
            "pkg/helpers.py": "def scale(x):\n    return 2 * x\n",
            "pkg/main.py": "def run():\n    return scale(3)\n",
        },
    )
    src = (repo / "pkg/main.py").read_text()
    files = ("pkg/__init__.py", "pkg/helpers.py", "pkg/main.py")
    fixed = fix_with("python.undefined_name", _f821("scale", 2, "pkg/main.py"), src, repo, files)
    assert fixed == "from pkg.helpers import scale\n" + src


def test_ambiguous_or_far_names_are_refused(tmp_path: Path) -> None:
    ambiguous = "def f(cat, car):\n    return caX\n"  # cat and car are equally close
    assert fix_with("python.undefined_name", _f821("caX", 2), ambiguous, tmp_path) is None
    far = "def f(alpha):\n    return zebra\n"
    assert fix_with("python.undefined_name", _f821("zebra", 2), far, tmp_path) is None


def test_name_bound_in_scope_is_not_touched(tmp_path: Path) -> None:
    src = "def f():\n    x = 1\n    return x\n"
    assert fix_with("python.undefined_name", _f821("x", 3), src, tmp_path) is None


def test_attribute_follows_cpythons_suggestion(tmp_path: Path) -> None:
    src = "import calc\n\n\ndef test_it():\n    assert calc.ad(1, 2) == 3\n"
    diag = Diagnostic(
        "tests",
        "m.py",
        5,
        "AttributeError: module 'calc' has no attribute 'ad'. Did you mean: 'add'?",
    )
    assert fix_with("python.misspelt_attribute", diag, src, tmp_path) == src.replace(
        ".ad(", ".add("
    )
    bare = Diagnostic("tests", "m.py", 5, "AttributeError: module 'calc' has no attribute 'ad'")
    assert fix_with("python.misspelt_attribute", bare, src, tmp_path) is None


def test_attribute_without_a_suggestion_is_matched_against_the_class(tmp_path: Path) -> None:
    """pytest prints `'wait_none' object has no attribute 'wait_fixd'` without CPython's
    suggestion (seen on jd/tenacity): the file's classes define `wait_fixed`."""
    src = (
        "class wait_fixed:\n"
        "    def __init__(self, wait):\n"
        "        self.wait_fixed = wait\n\n"
        "    def __call__(self, state):\n"
        "        return self.wait_fixd\n"
    )
    diag = Diagnostic(
        "tests", "m.py", 6, "AttributeError: 'wait_none' object has no attribute 'wait_fixd'"
    )
    fixed = fix_with("python.misspelt_attribute", diag, src, tmp_path)
    assert fixed == src.replace("self.wait_fixd", "self.wait_fixed")
    elsewhere = Diagnostic("tests", "m.py", 3, diag.message)  # the line does not use it
    assert fix_with("python.misspelt_attribute", elsewhere, src, tmp_path) is None
    far = Diagnostic("tests", "m.py", 6, "AttributeError: 'x' object has no attribute 'zzz'")
    assert (
        fix_with("python.misspelt_attribute", far, src.replace("wait_fixd", "zzz"), tmp_path)
        is None
    )


def test_attribute_error_in_a_test_is_fixed_where_it_was_raised(tmp_path: Path) -> None:
    """The failure is reported at the test; the traceback's last frame is the module."""
    module = "class Wait:\n    def __init__(self):\n        self.seconds = 1\n\n"
    module += "    def __call__(self):\n        return self.secnds\n"
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "wait.py").write_text(module)
    test = "from pkg.wait import Wait\n\n\ndef test_it():\n    assert Wait()() == 1\n"
    detail = (
        "    def __call__(self):\n>       return self.secnds\n"
        "E       AttributeError: 'Wait' object has no attribute 'secnds'\n\n"
        "pkg/wait.py:6: AttributeError"
    )
    diag = Diagnostic(
        "tests", "tests/test_wait.py", 5,
        "failed test_it: AttributeError: 'Wait' object has no attribute 'secnds'",
        detail=detail,
    )  # fmt: skip
    rule = next(r for r in all_rules() if r.name == "python.misspelt_attribute")
    block = rule.fn(diag, test, RuleContext(tmp_path, ("pkg/wait.py",)))
    assert block is not None and block.path == "pkg/wait.py"
    assert apply_block(module, block) == module.replace("self.secnds", "self.seconds")
    # A frame outside the project's files is never read, let alone edited.
    assert rule.fn(diag, test, RuleContext(tmp_path, ())) is None


def _module_attribute_failure(module: str, bad: str, frame: str) -> Diagnostic:
    """pytest's report of `module 'x' has no attribute 'y'`: at the test, no suggestion."""
    message = f"AttributeError: module '{module}' has no attribute '{bad}'"
    return Diagnostic(
        "tests", "tests/test_env.py", 4, f"failed test_it: {message}",
        detail=f"E       {message}\n\n{frame}: AttributeError",
    )  # fmt: skip


def test_misspelt_attribute_of_a_dependency_is_read_from_the_project_venv(
    tmp_path: Path,
) -> None:
    """sloria/environs: `ma.fields.Lists(...)` fails in pytest without CPython's "Did you
    mean"; the dependency's source in the project's venv defines `List`."""
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    lib = venv / "lib" / "python3.11" / "site-packages" / "extlib"
    lib.mkdir(parents=True)
    (lib / "__init__.py").write_text("from extlib import fields\n")
    (lib / "fields.py").write_text(
        "class Field:\n    pass\n\n\nclass List(Field):\n    pass\n\n\nListOf = List\n"
    )
    module = "import extlib as ma\n\n\ndef make():\n    return ma.fields.Lists()\n"
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "make.py").write_text(module)
    test = "from pkg.make import make\n\n\ndef test_it():\n    assert make()\n"
    diag = _module_attribute_failure("extlib.fields", "Lists", "src/pkg/make.py:5")
    rule = next(r for r in all_rules() if r.name == "python.misspelt_attribute")
    block = rule.fn(diag, test, RuleContext(tmp_path, ("src/pkg/make.py",)))
    assert block is not None and block.path == "src/pkg/make.py"
    assert apply_block(module, block) == module.replace(".Lists()", ".List()")


def test_misspelt_attribute_of_a_project_module_in_the_reported_file(tmp_path: Path) -> None:
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "__init__.py").write_text("")
    (tmp_path / "src" / "pkg" / "shapes.py").write_text(
        "import math\n\nif math.pi:\n    def circle_area(r):\n        return math.pi * r * r\n"
    )
    src = "from pkg import shapes\n\n\ndef test_it():\n    assert shapes.circle_aera(1)\n"
    diag = Diagnostic(
        "tests", "tests/test_shapes.py", 5,
        "AttributeError: module 'pkg.shapes' has no attribute 'circle_aera'",
    )  # fmt: skip
    fixed = fix_with("python.misspelt_attribute", diag, src, tmp_path)
    assert fixed == src.replace("circle_aera", "circle_area")


def test_misspelt_attribute_of_a_stdlib_module_written_in_c_or_with_import_star(
    tmp_path: Path,
) -> None:
    """`os.path` is posixpath, filled by `from genericpath import *`; `math` has no Python
    source: both are already imported by mom, so their names are asked directly."""
    cases = [
        ("posixpath", "joinn", "os.path.joinn(a, b)\n", "os.path.join(a, b)\n"),
        ("math", "sqtr", "math.sqtr(2)\n", "math.sqrt(2)\n"),
    ]
    for module, bad, src, want in cases:
        diag = Diagnostic("tests", "m.py", 1, f"module '{module}' has no attribute '{bad}'")
        assert fix_with("python.misspelt_attribute", diag, src, tmp_path) == want


def test_module_attribute_refusals(tmp_path: Path) -> None:
    """No edit when the module's names cannot all be known (`import *`), when the missing
    name is a real submodule that was not imported, or when nothing is close."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from pkg.core import *\n\n\ndef loads():\n    pass\n")
    (pkg / "core.py").write_text("def lods():\n    pass\n")
    (pkg / "utils.py").write_text("")
    (pkg / "sub").mkdir()
    (pkg / "sub" / "__init__.py").write_text("def util():\n    pass\n\n\ndef loads():\n    pass\n")
    (pkg / "sub" / "utils.py").write_text("")

    def attempt(module: str, bad: str, src: str) -> str | None:
        diag = Diagnostic("tests", "m.py", 1, f"module '{module}' has no attribute '{bad}'")
        return fix_with("python.misspelt_attribute", diag, src, tmp_path)

    assert attempt("pkg", "lods", "pkg.lods()\n") is None  # `import *`: names unknown
    assert attempt("pkg.sub", "utils", "pkg.sub.utils\n") is None  # a real submodule
    assert attempt("pkg.sub", "zzzzz", "pkg.sub.zzzzz\n") is None  # nothing close
    assert attempt("pkg.sub", "lods", "pkg.sub.lods()\n") == "pkg.sub.loads()\n"
    assert attempt("pkg.nowhere", "lods", "pkg.nowhere.lods()\n") is None


def test_distance_helpers() -> None:
    assert osa_distance("totl", "total") == 1
    assert osa_distance("ab", "ba") == 1
    assert closest_name("reslt", ["result", "reset_all", "x"]) == "result"
    assert closest_name("q", ["result"]) is None


def test_close_local_beats_a_stdlib_module_of_that_name(tmp_path: Path) -> None:
    # `chunk` is also a standard-library module; CPython would suggest the local.
    src = "def split(text):\n    chunks = text.split()\n    return chunk\n"
    fixed = fix_with("python.undefined_name", _f821("chunk", 3), src, tmp_path)
    assert fixed == src.replace("return chunk\n", "return chunks\n")


def test_module_name_not_used_as_module_is_not_imported(tmp_path: Path) -> None:
    src = "def f():\n    return json\n"
    assert fix_with("python.undefined_name", _f821("json", 2), src, tmp_path) is None


def test_misspelt_name_in_an_augmented_assignment_is_renamed(tmp_path: Path) -> None:
    """`reslt += v` with `result` defined: CPython binds `reslt` locally (no "Did you
    mean"), ruff says F821, the test run says UnboundLocalError; both are fixed."""
    src = (
        "def total(values):\n    result = 0\n    for v in values:\n"
        "        reslt += v\n    return result\n"
    )
    want = src.replace("reslt += v", "result += v")
    assert fix_with("python.undefined_name", _f821("reslt", 4), src, tmp_path) == want
    unbound = Diagnostic(
        "tests", "m.py", 0,
        "UnboundLocalError: cannot access local variable 'reslt' where it is not "
        "associated with a value", tool="pytest",
    )  # fmt: skip
    assert fix_with("python.undefined_name", unbound, src, tmp_path) == want
    # a real accumulator is left alone: `result += v` binds nothing new, `result` is bound
    assert fix_with("python.undefined_name", _f821("result", 4), want, tmp_path) is None


def test_a_closer_global_beats_a_local_that_differs_in_case(tmp_path: Path) -> None:
    """`Pth(path)` with `Path` imported is `Path(path)`, as CPython suggests; the local
    `path` is as close case-blind, and renaming to it called a str (tox-dev/platformdirs)."""
    src = (
        "from pathlib import Path\n\n\ndef make(path):\n"
        "    Pth(path).mkdir(parents=True, exist_ok=True)\n"
    )
    fixed = fix_with("python.undefined_name", _f821("Pth", 5), src, tmp_path)
    assert fixed == src.replace("Pth(", "Path(")
    assert closest_name("Pth", ["path", "Path"]) == "Path"
    assert closest_name("caX", ["cat", "car"]) is None  # a true tie is still refused


def test_a_missing_stdlib_import_goes_where_isort_keeps_it(tmp_path: Path) -> None:
    """On a project whose ruff selects `I`, an import appended after the last one failed
    lint on the line the rule added, so the fix was thrown away (tox-dev/platformdirs)."""
    head = (
        '"""Doc."""\n\nfrom __future__ import annotations\n\nimport os\n'
        "from abc import ABC\nfrom typing import TYPE_CHECKING\n\nimport attr\n\n"
        "if TYPE_CHECKING:\n    from collections.abc import Iterator\n\n\n"
    )
    body = "def f(p):\n    warnings.warn(os.sep)\n    return Path(p), ABC, attr\n"
    src = head + body
    fixed = fix_with("python.undefined_name", _f821("warnings", 17), src, tmp_path)
    assert fixed == src.replace("import os\n", "import os\nimport warnings\n")
    fixed = fix_with("python.undefined_name", _f821("Path", 18), src, tmp_path)
    assert fixed == src.replace("from typing", "from pathlib import Path\nfrom typing")
    first = fix_with("python.undefined_name", _f821("Path", 3), body, tmp_path)
    assert first == "from pathlib import Path\n" + body  # no stdlib imports: at the top


def test_a_missing_import_follows_force_sort_within_sections(tmp_path: Path) -> None:
    """hukkin/mdformat sorts `import x` and `from x import y` by module alone (isort's
    `force_sort_within_sections`): `import itertools` went above `from collections.abc`,
    and the project's isort pre-commit hook then rewrote the file on commit."""
    head = (
        "from __future__ import annotations\n\nfrom collections.abc import Iterable\n"
        "import functools\nimport html.entities\nimport re\nfrom typing import Any\n\n"
        "from mdformat import codepoints\n\n\n"
    )
    src = head + "def f(seq):\n    return itertools.groupby(seq)\n"
    fixed = fix_with("python.undefined_name", _f821("itertools", 13), src, tmp_path)
    assert fixed == src.replace("import re\n", "import itertools\nimport re\n")


def test_a_misspelt_name_in_a_from_import_is_corrected_in_place(tmp_path: Path) -> None:
    """schedule: `from schedule import (…, ScheduleValueEror, …)` failed collection and
    left `ScheduleValueError` undefined; the rule added a second import of the right name
    under the wrong one, which still raised ImportError."""
    package = "class ScheduleValueError(Exception):\n    pass\n\n\nVERSION = 1\n"
    src = (
        "from pkg import (\n    VERSION,\n    ScheduleValueEror,\n)\n\n\n"
        "def test_it():\n    raise ScheduleValueError(VERSION)\n"
    )
    repo = make_repo(tmp_path / "r", {"pkg/__init__.py": package, "test_it.py": src})
    files = ("pkg/__init__.py", "test_it.py")
    diag = _f821("ScheduleValueError", 8, "test_it.py")
    fixed = fix_with("python.undefined_name", diag, src, repo, files)
    assert fixed == src.replace("ScheduleValueEror,", "ScheduleValueError,")
    # a close name the module does define is a real import: not renamed
    both = package + "\n\nclass ScheduleValueEror(Exception):\n    pass\n"
    (repo / "pkg/__init__.py").write_text(both)
    kept = fix_with("python.undefined_name", diag, src, repo, files)
    assert kept is None or "ScheduleValueEror," in kept


def test_misspelt_method_of_a_standard_type_is_fixed_where_it_was_raised(
    tmp_path: Path,
) -> None:
    """more-itertools: `self._cache.apend(...)` on a deque failed seven peekable tests with
    `'collections.deque' object has no attribute 'apend'` (no suggestion in pytest's
    line), and fix-build had no rule for it. A built-in or standard-library type's own
    attributes are the candidates; a project's class or an unknown type is not guessed."""
    module = (
        "from collections import deque\n\n\nclass Peek:\n    def __init__(self):\n"
        "        self._cache = deque()\n\n    def push(self, x):\n"
        "        self._cache.apend(x)\n        return self._cache.copy()\n"
    )
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "peek.py").write_text(module)
    test = "from pkg.peek import Peek\n\n\ndef test_push():\n    assert Peek().push(1)\n"

    def failure(type_name: str, bad: str) -> Diagnostic:
        message = f"AttributeError: '{type_name}' object has no attribute '{bad}'"
        return Diagnostic(
            "tests", "tests/test_peek.py", 5, f"failed test_push: {message}",
            detail=f"E       {message}\n\npkg/peek.py:9: AttributeError",
        )  # fmt: skip

    rule = next(r for r in all_rules() if r.name == "python.misspelt_attribute")
    ctx = RuleContext(tmp_path, ("pkg/peek.py",))
    block = rule.fn(failure("collections.deque", "apend"), test, ctx)
    assert block is not None and block.path == "pkg/peek.py"
    assert apply_block(module, block) == module.replace(".apend(", ".append(")
    builtin = module.replace("deque()", "[]").replace(".apend(", ".apped(")
    (tmp_path / "pkg" / "peek.py").write_text(builtin)
    block = rule.fn(failure("list", "apped"), test, ctx)
    assert block is not None and apply_block(builtin, block) == module.replace(
        "deque()", "[]"
    ).replace(".apend(", ".append(")
    assert rule.fn(failure("Peek", "apend"), test, ctx) is None  # not a standard type
    assert rule.fn(failure("nosuchmod.Thing", "apend"), test, ctx) is None
