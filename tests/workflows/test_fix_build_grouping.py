"""One step per root cause: failures group by the project frames they share, and only
frameless failures fall back to grouping by test file (issue 12, cachetools' layout:
mixin tests in tests/__init__.py run by every cache class's test module)."""

from __future__ import annotations

from pathlib import Path

from git_repos import git, write_files

from mom_cli.config import ValidationSection
from mom_cli.validate.detect import project_files
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.pipeline import validate_project
from mom_cli.workflows.fix_steps import plan_steps
from mom_cli.workflows.model_step import build_prompt
from mom_cli.workflows.trace_groups import group_traces
from mom_cli.workflows.trace_targets import Span, Trace

CORE = '''"""Two unrelated checks in one module."""


def check(n: int) -> int:
    if n < 0:
        raise ValueError(f"negative: {n}")
    return n


def scale(n: int) -> int:
    if n > 100:
        raise OverflowError(n)
    return n * 2
'''
MIXIN = (
    "from pkg.core import check, scale\n\n\n"
    "class CoreMixin:\n"
    "    def test_check(self) -> None:\n        assert check(1) == 1\n\n"
    "    def test_scale(self) -> None:\n        assert scale(2) == 4\n"
)
FILES = {
    "pyproject.toml": '[project]\nname = "pkg"\nversion = "0"\n\n'
    '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
    "pkg/__init__.py": "",
    "pkg/core.py": CORE,
    "tests/__init__.py": MIXIN,
    "tests/test_one.py": "from tests import CoreMixin\n\n\nclass TestOne(CoreMixin):\n    pass\n",
    "tests/test_two.py": "from tests import CoreMixin\n\n\nclass TestTwo(CoreMixin):\n    pass\n",
}


def _repo(root: Path) -> Path:
    root.mkdir(parents=True)
    broken = CORE.replace("n < 0", "n > 0").replace("n > 100", "n < 100")
    write_files(root, {**FILES, "pkg/core.py": broken})
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "broken")
    return root


def test_mixin_tests_failing_in_two_functions_are_two_steps(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "pkg")
    diags = validate_project(repo, config=ValidationSection(), early_exit=False).diagnostics
    failing = [d for d in diags if d.stage == "tests" and d.severity == "error"]
    assert len(failing) == 4 and {d.file for d in failing} == {"tests/__init__.py"}, failing
    steps = plan_steps(diags, repo, project_files(repo), use_index=False)
    leads = sorted(s.trace.targets[0].name for s in steps if s.trace is not None)
    assert leads == ["check", "scale"], [(s.id, s.trace) for s in steps]
    for step in steps:
        assert step.trace is not None and len(step.diagnostics) == 2
        prompt = build_prompt(step, repo)
        lead = step.trace.targets[0].name
        other = "scale" if lead == "check" else "check"
        assert f"def {lead}(n: int)" in prompt and f"def {other}(n: int)" not in prompt


def _diag(test: str, file: str = "tests/__init__.py") -> Diagnostic:
    return Diagnostic("tests", file, 1, "failed", code=f"{file}::{test}", tool="pytest")


def test_the_raising_function_leads_a_group_that_frameless_failures_join() -> None:
    """cachetools: ~100 failures raise in Cache.__setitem__ (big), the frameless ones
    reach small wrappers. The raising function stays first, whatever its size."""
    setitem = Span("src/c/__init__.py", "Cache.__setitem__", 40, 80)
    popitem = Span("src/c/__init__.py", "LRU.popitem", 100, 104)
    lru_set = Span("src/c/__init__.py", "LRU.__setitem__", 90, 93)
    lru_cls = Span("src/c/__init__.py", "LRU", 85, 110)
    small = [Span("src/c/_wrap.py", f"w{i}", i * 10, i * 10 + 2) for i in range(1, 5)]
    traces = [(_diag(f"t{i}"), Trace(targets=[setitem, lru_set], how="frames")) for i in range(3)]
    # raises in popitem, which Cache.__setitem__ called: the same root cause
    traces.append((_diag("t_pop"), Trace(targets=[popitem, setitem], how="frames")))
    # no frame: reaches the LRU class (which contains LRU.__setitem__) and wrappers
    traces += [
        (_diag(f"w{i}", "tests/test_w.py"), Trace(targets=[lru_cls, *small], how="imports"))
        for i in range(6)
    ]
    # no frame, nothing shared, a test file no framed failure is in: its own group
    other = Span("src/c/keys.py", "hashkey", 1, 5)
    traces.append((_diag("k", "tests/test_keys.py"), Trace(targets=[other], how="imports")))
    groups = group_traces(traces)
    assert [len(d) for d, _ in groups] == [10, 1]
    first = groups[0][1]
    assert first.targets[0] == setitem and len(first.targets) == 4
    assert groups[1][1].targets == [other]
