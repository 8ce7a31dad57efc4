"""Failing test → code under test → one step per root cause; climb once (issue 12 part B).

Real temp repos, real pytest (JUnit tracebacks), and for the climb the real SDKs against
loopback servers (tests/fakes/tiers.py), counting every call each tier receives.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fakes.tiers import KEY_ENV, LoopbackTiers
from fix_build_helpers import make_project, run_with_tiers
from git_repos import NODE_SCRIPT_PACKAGE, commit_files, init_repo
from hypothesis import given, settings
from hypothesis import strategies as st

from mom_cli.config import ValidationSection, load_config
from mom_cli.ledger.store import Ledger, LedgerEntry
from mom_cli.routing.ladder import Rung
from mom_cli.validate.detect import project_files
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.pipeline import validate_project
from mom_cli.workflows.climb_policy import ClimbPolicy
from mom_cli.workflows.fix_build import FixBuildResult
from mom_cli.workflows.fix_scope import changed_lines, find_base
from mom_cli.workflows.fix_steps import plan_steps
from mom_cli.workflows.model_step import build_prompt
from mom_cli.workflows.test_trace import ProjectSources, evidence, project_frames
from mom_cli.workflows.trace_prompt import build_trace_prompt
from mom_cli.workflows.trace_targets import Span, Trace

# mean() raises for every non-empty list: the traceback's project frame is stats.mean
RAISES = {"calc/stats.py": [("    if not values:\n", "    if values:\n")]}
# multiply() returns a wrong value: no project frame, only what the test calls
WRONG_VALUE = {"calc/ops.py": [("    product = a * b\n", "    product = a + b\n")]}
DEEP = (
    '"""Uses stats."""\n\nfrom calc.stats import mean\n\n\n'
    "def centred(values: list[float]) -> list[float]:\n"
    "    m = mean(values)\n    return [v - m for v in values]\n"
)
DEEP_TEST = (
    "from calc.deep import centred\n\n\n"
    "def test_centred() -> None:\n    assert centred([1, 3]) == [-1, 1]\n"
)
FIX_STATS = (
    "calc/stats.py\n<<<<<<< SEARCH\n    if values:\n=======\n    if not values:\n>>>>>>> REPLACE\n"
)
WRONG_STATS = FIX_STATS.replace("if not values:", "if len(values) > 0:")
FIX_OPS = (
    "calc/ops.py\n<<<<<<< SEARCH\n    product = a + b\n=======\n    product = a * b\n"
    ">>>>>>> REPLACE\n"
)


def _project(root: Path) -> Path:
    repo = make_project(root, RAISES, WRONG_VALUE)
    (repo / "calc/deep.py").write_text(DEEP)
    (repo / "tests/test_deep.py").write_text(DEEP_TEST)
    return repo


def test_failures_sharing_project_frames_are_one_step_with_the_source_in_scope(
    tmp_path: Path,
) -> None:
    repo = _project(tmp_path / "calc")
    diags = validate_project(repo, config=ValidationSection(), early_exit=False).diagnostics
    failing = {d.code.split("::")[0] for d in diags if d.stage == "tests"}
    assert failing == {"tests/test_deep.py", "tests/test_stats.py", "tests/test_ops.py"}
    steps = {s.file: s for s in plan_steps(diags, repo, project_files(repo))}
    # test_deep and test_stats both fail inside stats.mean: one root cause, one step
    assert set(steps) == {"calc/stats.py", "calc/ops.py"}
    stats, ops = steps["calc/stats.py"], steps["calc/ops.py"]
    assert {d.file for d in stats.diagnostics} == {"tests/test_deep.py", "tests/test_stats.py"}
    assert stats.trace is not None and stats.trace.how == "frames"
    assert stats.edit_scope is not None and "calc/stats.py" in stats.edit_scope
    assert ops.trace is not None and ops.trace.how == "imports"  # no frame: what it calls
    assert "calc/ops.py" in (ops.edit_scope or []) and "calc/stats.py" not in (ops.edit_scope or [])
    prompt = build_prompt(stats, repo)
    assert "def mean(values: list[float]) -> float:\n    if values:" in prompt  # verbatim
    assert "ValueError: mean of an empty list" in prompt  # the E line
    assert "calc/deep.py, centred" in prompt  # its caller
    assert "def multiply" not in prompt and "def subtract" not in prompt
    ops_prompt = build_prompt(ops, repo)
    assert "product = a + b" in ops_prompt and "def mean" not in ops_prompt
    assert "assert 6.5 == 10" in ops_prompt
    assert max(len(prompt), len(ops_prompt)) < 4000 * 3  # well under 4k tokens


def _run(repo: Path, ledger: Ledger, tiers: LoopbackTiers) -> FixBuildResult:
    return run_with_tiers(repo, ledger, tiers, {"routing": {"max_concurrent_tasks": 1}})


def test_climb_once_each_tier_once_per_step_and_skipped_after_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for env in KEY_ENV.values():
        monkeypatch.setenv(env, "sk-loopback-dummy")
    repo = _project(tmp_path / "calc")
    ledger_path = tmp_path / "ledger.sqlite3"
    ledger = Ledger(ledger_path)
    with LoopbackTiers() as tiers:
        # the stats step comes first: groq and deepseek answer wrong, haiku right;
        # then the ops step: groq and deepseek are skipped, haiku answers right
        tiers.script("groq", WRONG_STATS, FIX_OPS)
        tiers.script("deepseek", WRONG_STATS, FIX_OPS)
        tiers.script("haiku", FIX_STATS, FIX_OPS)
        result = _run(repo, ledger, tiers)
        calls = {t: tiers.calls(t) for t in ("groq", "deepseek", "haiku", "sonnet")}
        haiku_prompts = tiers.prompts("haiku")
    assert result.passed and result.exit_code == 0, result.to_dict()
    assert calls == {"groq": 1, "deepseek": 1, "haiku": 2, "sonnet": 0}
    model_steps = [s for s in result.steps if s.tier != "rules"]
    assert [(s.file, s.status, s.paid_calls) for s in model_steps] == [
        ("calc/stats.py", "fixed", 3),
        ("calc/ops.py", "fixed", 1),
    ]
    for step in model_steps:  # each tier at most once per step
        tiers_asked = [a.tier for a in step.attempts]
        assert len(tiers_asked) == len(set(tiers_asked))
        # the embedded 135M model has no validated failing-test fix on record: not asked
        assert "local" not in tiers_asked and any("smollm2" in s for s in step.skipped)
    assert any("groq-llama failed a tests fix earlier" in s for s in model_steps[1].skipped)
    assert "def multiply" in haiku_prompts[1] and "def mean" not in haiku_prompts[1]
    totals = result.totals()
    assert totals["paid_calls"] == 4 and totals["paid_calls_per_fixed_step"] == [3, 1]
    ledger.close()

    # the verdicts persist: a later run reads them from the ledger
    later = Ledger(ledger_path)
    assert later.verdicts("fix:tests") == {
        "groq-llama": (0, 1),
        "deepseek-chat": (0, 1),
        "haiku": (2, 0),
    }
    policy = ClimbPolicy(load_config(repo).config, later)
    haiku, groq = Rung("haiku", "haiku"), Rung("groq", "groq-llama")
    assert policy.why_skip(groq, "tests") == ""  # one failure on record is not a verdict
    policy.observer("tests")(groq, False)
    policy.observer("tests")(haiku, False)
    assert "no validated tests fix on record" in policy.why_skip(groq, "tests")
    assert policy.why_skip(haiku, "tests") == ""  # validated before: a failure is bad luck
    for _ in range(2):
        later.record(
            LedgerEntry("groq", "groq-llama", "m", "groq", "", 1, 1, 0.0, 1.0,
                        "failed_validation", category="fix:tests")
        )  # fmt: skip
    fresh = ClimbPolicy(load_config(repo).config, later)
    assert "3 failed tests fixes on record" in fresh.why_skip(groq, "tests")
    assert fresh.why_skip(groq, "syntax") == ""  # records are per kind


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=60),
            st.sampled_from(["calc/stats.py:6: ValueError", "calc/deep.py:7: in centred"]),
            st.builds(lambda n: f'E     File "calc/ops.py", line {n}', st.integers(-5, 10**6)),
            st.builds(lambda p: f"{p}:3: in f", st.text(min_size=1, max_size=20)),
        ),
        max_size=12,
    )
)
def test_traceback_text_is_untrusted_and_only_names_project_sources(lines: list[str]) -> None:
    """Whatever a test printed, tracing never raises and only yields project sources."""
    src = ProjectSources(Path(__file__).parent / "no-such-repo", ["calc/stats.py", "calc/deep.py"])
    diag = Diagnostic("tests", "tests/test_x.py", 1, "failed", detail="\n".join(lines))
    frames = project_frames(diag, src, src.repo)
    assert all(f in ("calc/stats.py", "calc/deep.py") and n >= 0 for f, n in frames)
    assert evidence(diag, frames)


def test_prompt_shows_the_method_of_the_right_class(tmp_path: Path) -> None:
    """Two classes with a method of the same name: the traced one is shown, even after
    an earlier step moved it."""
    module = (
        "class A:\n    def put(self, k):\n        return 'a'\n\n\n"
        "class B:\n    def put(self, k):\n        if k > 1:\n            raise ValueError(k)\n"
    )
    (tmp_path / "m.py").write_text("# moved down one line\n" + module)
    trace = Trace(targets=[Span("m.py", "B.put", 7, 9)], evidence={"t::x": ["E ValueError"]})
    prompt = build_trace_prompt(trace, [], tmp_path)
    assert "m.py, B.put (lines 8-10)" in prompt and "if k > 1:" in prompt
    assert "return 'a'" not in prompt


# A wrong value two calls down and one module over (iniconfig's layout): the test calls
# Config, whose __init__ calls _parse.parse_lines, which calls _parseline, where the bug is.
LAYERED = {
    "cfg/__init__.py": (
        "from . import _parse\n\n\nclass Config:\n"
        "    def __init__(self, text: str) -> None:\n"
        "        self.sections = _parse.parse_lines(text.splitlines())\n"
    ),
    "cfg/_parse.py": (
        "def parse_lines(lines: list[str]) -> list[str]:\n"
        "    return [_parseline(line) for line in lines if line.startswith('[')]\n\n\n"
        "def _parseline(line: str) -> str:\n    return line[1:-2]\n"
    ),
    "tests/test_cfg.py": (
        "from cfg import Config\n\n\n"
        "def test_sections() -> None:\n    assert Config('[a]\\n[bc]').sections == ['a', 'bc']\n"
    ),
}


def test_a_fault_two_calls_down_in_another_module_is_in_the_step(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "calc")
    for rel, text in LAYERED.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    diags = validate_project(repo, config=ValidationSection(), early_exit=False).diagnostics
    failing = [d for d in diags if d.stage == "tests" and d.file == "tests/test_cfg.py"]
    assert failing, [d.to_dict() for d in diags]
    steps = [s for s in plan_steps(failing, repo, project_files(repo))]
    assert len(steps) == 1 and steps[0].trace is not None
    names = {t.name for t in steps[0].trace.targets}
    assert {"Config", "parse_lines", "_parseline"} <= names, names
    assert "cfg/_parse.py" in (steps[0].edit_scope or [])
    assert "return line[1:-2]" in build_prompt(steps[0], repo)


# python-semver's shape: the test calls a function that reaches the code through a method
# call (`Version(a).compare(b)`), which the import walk cannot follow; the regression is
# in a method two calls down, in the last commit.
THROUGH_A_METHOD = {
    "ver/__init__.py": "from ver.api import compare\n",
    "ver/api.py": (
        "from ver.version import Version\n\n\n"
        "def compare(a: str, b: str) -> int:\n    return Version(a).compare(b)\n"
    ),
    "ver/version.py": (
        "class Version:\n    def __init__(self, text: str) -> None:\n        self.n = int(text)\n\n"
        "    def compare(self, other: str) -> int:\n"
        "        return self._cmp(self.n, int(other))\n\n"
        "    @staticmethod\n    def _cmp(a: int, b: int) -> int:\n"
        "        return (a > b) - (a < b)\n"
    ),
    "tests/test_ver.py": (
        "from ver import compare\n\n\n"
        "def test_less() -> None:\n    assert compare('1', '2') == -1\n"
    ),
}


def test_a_function_the_change_touched_leads_a_failure_traced_through_imports(
    tmp_path: Path,
) -> None:
    repo = make_project(tmp_path / "calc")
    commit_files(repo, THROUGH_A_METHOD, "ver")
    version = THROUGH_A_METHOD["ver/version.py"]
    regression = version.replace("(a > b) - (a < b)", "(a < b) - (a > b)")
    commit_files(repo, {"ver/version.py": regression}, "regression")
    diags = validate_project(repo, config=ValidationSection(), early_exit=False).diagnostics
    failing = [d for d in diags if d.stage == "tests" and d.file == "tests/test_ver.py"]
    assert failing, [d.to_dict() for d in diags]
    files = project_files(repo)
    changed = changed_lines(repo, find_base(repo))
    [blind] = plan_steps(failing, repo, files)
    assert blind.trace is not None and "Version._cmp" not in {t.name for t in blind.trace.targets}
    [step] = plan_steps(failing, repo, files, changed=changed)
    assert step.trace is not None and step.trace.targets[0].name == "Version._cmp"
    assert step.file == "ver/version.py"
    assert "compare" in {t.name for t in step.trace.targets}  # what the test calls stays
    assert "return (a < b) - (a > b)" in build_prompt(step, repo)


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")
def test_an_untraced_failing_test_step_shows_the_changed_source_of_its_language(
    tmp_path: Path,
) -> None:
    """lukeed/kleur's shape: a regression in index.mjs fails test/index.js; the tracer
    read Python only, so the step was the test file alone, the file a model should not
    rewrite to make the test pass. js_trace now leads with the changed source."""
    repo = init_repo(
        tmp_path / "js",
        {
            "package.json": NODE_SCRIPT_PACKAGE,
            "index.mjs": "export const add = (a, b) => a + b;\n",
            "other.mjs": "export const unrelated = 1;\n",
            "test/a.js": (
                "const assert = require('assert');\n"
                "import('../index.mjs').then(({ add }) => assert.strictEqual(add(2, 3), 5));\n"
            ),
            "README.md": "js\n",
        },
    )
    commit_files(repo, {"CHANGES.txt": "unrelated\n"}, "unrelated")  # the base: HEAD~1
    (repo / "index.mjs").write_text("export const add = (a, b) => a - b;\n")
    (repo / "README.md").write_text("js\n\nmy notes\n")
    diags = validate_project(repo, config=ValidationSection(), early_exit=False).diagnostics
    failing = [d for d in diags if d.stage == "tests"]
    assert [d.file for d in failing] == ["test/a.js"], [d.to_dict() for d in diags]
    changed = changed_lines(repo, find_base(repo))
    [step] = plan_steps(failing, repo, project_files(repo), changed=changed)
    assert step.file == "index.mjs" and step.context_files == ["test/a.js"]
    assert "(a, b) => a - b" in build_prompt(step, repo)


# jd/tenacity's shape: the retry loop (frames in core.py) raises on what the strategy the
# commit changed returned; no frame is in the changed function.
RAISED_ELSEWHERE = {
    "lib/__init__.py": "",
    "lib/core.py": (
        "def run(strategy):\n    delay = strategy()\n"
        "    if delay > 1:\n        raise ValueError(f'delay {delay} too long')\n"
        "    return delay\n"
    ),
    "lib/wait.py": "def fixed():\n    return 1\n",
    "tests/test_lib.py": (
        "from lib.core import run\nfrom lib.wait import fixed\n\n\n"
        "def test_run() -> None:\n    assert run(fixed) == 1\n"
    ),
}


# jaraco.functools: compose() broken (`g(f)(x)`), and the doctests of two functions built
# on it fail inside its inner lambda; pytest reports each as a doctest, not an `E`-marked traceback
DOCTESTED = {
    "pytest.ini": "[pytest]\naddopts = --doctest-modules\n",
    "fn/__init__.py": (
        "def compose(f, g):\n"
        "    return lambda x: g(f)(x)\n\n\n"
        "def twice(f):\n"
        '    """\n    >>> twice(str.upper)("a")\n    \'A\'\n    """\n'
        "    return compose(f, f)\n\n\n"
        "def shout(text):\n"
        '    """\n    >>> shout(["a"])\n    \'A!\'\n    """\n'
        "    return compose(str.upper, lambda s: s + '!')(text)\n"
    ),
}


def test_a_function_the_change_touched_leads_a_failure_raised_in_another_module(
    tmp_path: Path,
) -> None:
    repo = make_project(tmp_path / "calc")
    commit_files(repo, RAISED_ELSEWHERE, "lib")
    commit_files(repo, {"lib/wait.py": "def fixed():\n    return 1 + 0.5\n"}, "regression")
    diags = validate_project(repo, config=ValidationSection(), early_exit=False).diagnostics
    failing = [d for d in diags if d.stage == "tests" and d.file == "tests/test_lib.py"]
    assert failing, [d.to_dict() for d in diags]
    files = project_files(repo)
    [blind] = plan_steps(failing, repo, files)
    assert blind.file == "lib/core.py"  # where it was raised: all the frames show
    [step] = plan_steps(failing, repo, files, changed=changed_lines(repo, find_base(repo)))
    assert step.trace is not None and step.trace.targets[0].name == "fixed"
    assert step.file == "lib/wait.py"
    assert "run" in {t.name for t in step.trace.targets}  # where it was raised stays


def test_doctests_failing_in_the_same_function_are_one_step(tmp_path: Path) -> None:
    """Every doctest was its own step at the docstring's line (three for one compose bug
    in jaraco.functools): the doctest frames in `File "…"` lines were not read."""
    repo = init_repo(tmp_path / "fn", DOCTESTED)
    diags = validate_project(repo, config=ValidationSection(), stages=["tests"]).diagnostics
    assert sorted(d.code for d in diags) == ["fn/__init__.py::fn.shout", "fn/__init__.py::fn.twice"]
    [step] = plan_steps(diags, repo, project_files(repo))
    assert step.trace is not None and step.trace.how == "frames"
    assert step.trace.targets[0].name == "compose"
    assert {t.name for t in step.trace.tests} == {"twice", "shout"}


README_DOCTESTED = {
    "pytest.ini": "[pytest]\naddopts = --doctest-glob=README.rst\n",
    "calc.py": (
        "class Result:\n    def __init__(self, fixed):\n        self.fixed = fixed\n\n"
        "    def __repr__(self):\n        return '<Result %r>' % (self.fixed,)\n\n\n"
        "def parse(text):\n    return Result(tuple(text.split()))\n"
    ),
    "README.rst": "calc\n====\n\n>>> from calc import *\n>>> parse('a b')\n<Result ('a', 'b')>\n",
}


def test_a_readme_doctest_is_traced_to_the_code_the_change_touched(tmp_path: Path) -> None:
    """r1chardj0n3s/parse runs README.rst's examples (`--doctest-glob`): a change to
    `Result.__repr__` failed one, and the step was README.rst itself, the test (where the
    user had uncommitted edits), with nothing traced to the code."""
    repo = init_repo(tmp_path / "calc", README_DOCTESTED)
    broken = README_DOCTESTED["calc.py"].replace("'<Result %r>'", "'<Result fixed=%r>'")
    commit_files(repo, {"calc.py": broken}, "repr: name the field")
    diags = validate_project(repo, config=ValidationSection(), stages=["tests"]).diagnostics
    assert [d.file for d in diags] == ["README.rst"], [d.to_dict() for d in diags]
    changed = changed_lines(repo, find_base(repo))
    [step] = plan_steps(diags, repo, project_files(repo), changed=changed)
    assert step.file == "calc.py"
    assert step.trace is not None and step.trace.targets[0].name == "Result.__repr__"


NESTED = {  # composed() should be f(g(x)): compose's doctest gets a wrong value, and
    # shout_all's raises inside composed
    "pytest.ini": "[pytest]\naddopts = --doctest-modules\n",
    "fn/__init__.py": (
        "def compose(f, g):\n"
        '    """\n    >>> compose(len, str.strip)(" ab ")\n    2\n    """\n\n'
        "    def composed(x):\n        return f(x)\n\n    return composed\n\n\n"
        "def shout_all(items):\n"
        '    """\n    >>> shout_all(["a", "b"])\n    \'A, B\'\n    """\n'
        '    return compose(str.upper, ", ".join)(items)\n'
    ),
}


def test_a_failure_in_a_nested_function_joins_its_enclosing_functions_group(
    tmp_path: Path,
) -> None:
    """jaraco.functools: compose's own doctest (a wrong value, framed at compose) and the
    doctests raising in its inner `compose_two` were two steps for one bug."""
    repo = init_repo(tmp_path / "fn", NESTED)
    diags = validate_project(repo, config=ValidationSection(), stages=["tests"]).diagnostics
    assert sorted(d.code for d in diags) == [
        "fn/__init__.py::fn.compose",
        "fn/__init__.py::fn.shout_all",
    ]
    [step] = plan_steps(diags, repo, project_files(repo))
    assert step.trace is not None and step.trace.targets[0].name == "compose"


def test_a_failing_test_whose_own_expectation_changed_says_so(tmp_path: Path) -> None:
    """sqlparse: the user edited `test_remove_quotes`' parametrized expectation ('foo' ->
    'fooo') and touched no source. The step was traced to utils.remove_quotes, and the
    prompt asked to "fix the bug there": a model could only break working code to match a
    wrong test. When the failing test changed and no code it reaches did, the prompt says
    so."""
    repo = init_repo(
        tmp_path / "repo",
        {
            "pyproject.toml": '[project]\nname = "q"\nversion = "0"\n',
            "q/__init__.py": "",
            "q/utils.py": "def unquote(val):\n    return val[1:-1]\n",
            "tests/test_utils.py": "import pytest\n\nfrom q.utils import unquote\n\n\n"
            "@pytest.mark.parametrize('value, expected', [('\"a\"', 'a')])\n"
            "def test_unquote(value, expected):\n    assert unquote(value) == expected\n",
        },
        commit=True,
        message="base",
    )
    commit_files(repo, {"README.md": "q\n"})
    test = (repo / "tests/test_utils.py").read_text()
    (repo / "tests/test_utils.py").write_text(test.replace("'a')]", "'aa')]"))
    diags = validate_project(repo, config=ValidationSection(), early_exit=False).diagnostics
    failing = [d for d in diags if d.stage == "tests"]
    assert failing, [d.to_dict() for d in diags]
    changed = changed_lines(repo, find_base(repo))
    [step] = plan_steps(failing, repo, project_files(repo), changed=changed)
    prompt = build_prompt(step, repo)
    assert "the failing test itself changed" in prompt
    # when the code under test changed too, nothing is claimed
    (repo / "q/utils.py").write_text("def unquote(val):\n    return val[1:]\n")
    changed = changed_lines(repo, find_base(repo))
    [step] = plan_steps(failing, repo, project_files(repo), changed=changed)
    assert "the failing test itself changed" not in build_prompt(step, repo)
