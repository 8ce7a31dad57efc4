"""`mom run`'s context sized to the change (engine.focus): the function the request is
about, its callers and a test, not ranked excerpts of the whole module (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest
from edit_repo import caller
from git_repos import git, write_files
from typer.testing import CliRunner

from mom_cli.cli import run_cmd
from mom_cli.cli.app import app
from mom_cli.config import load_config
from mom_cli.engine.edit_prompt import edit_prompt
from mom_cli.engine.focus import locate
from mom_cli.index.tokens import estimate_tokens
from mom_cli.providers.base import CompletionRequest
from mom_cli.routing.ladder import Feedback
from mom_cli.routing.subtask import SubTask

FILLER = "".join(
    f"\n\ndef helper_{i}(x: int) -> int:\n    y = x + {i}\n    return y * {i}\n" for i in range(150)
)
SCOPE = (
    '"""Bindings."""\n\n\nclass Scope(dict):\n    pass\n\n\n'
    "def add_binding(scope: Scope, name: str, value: int) -> None:\n"
    "    if name not in scope:\n        scope[name] = value\n\n\n"
    "def rebind(scope: Scope, name: str, value: int) -> None:\n"
    "    if name in scope:  # only an existing name is rebound\n"
    "        scope[name] = value\n\n\n"
    "def bind_all(scope: Scope, pairs: list[tuple[str, int]]) -> Scope:\n"
    "    for name, value in pairs:\n        add_binding(scope, name, value)\n"
    "    return scope\n" + FILLER
)
FILES = {
    "pyproject.toml": '[project]\nname = "flk"\nversion = "0"\n\n'
    '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
    "flk/__init__.py": "",
    "flk/scope.py": SCOPE,
    "tests/test_scope.py": "from flk.scope import Scope, bind_all, rebind\n\n\n"
    "def test_bind_all() -> None:\n"
    "    assert bind_all(Scope(), [('a', 1), ('b', 2)]) == {'a': 1, 'b': 2}\n\n\n"
    "def test_rebind() -> None:\n"
    "    s = Scope(a=1)\n    rebind(s, 'a', 2)\n    assert s['a'] == 2\n",
}


FAULT = (
    "        scope[name] = value\n\n\ndef rebind",
    "        scope[name] += value\n\n\ndef rebind",
)
FIX = (
    "flk/scope.py\n<<<<<<< SEARCH\n        scope[name] += value\n=======\n"
    "        scope[name] = value\n>>>>>>> REPLACE\n"
)


def _repo(root: Path, fault: tuple[str, str] | None = None) -> Path:
    root.mkdir(parents=True)
    files = dict(FILES)
    if fault is not None:
        files["flk/scope.py"] = SCOPE.replace(*fault)
    write_files(root, files)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "c")
    return root


def test_a_named_function_its_callers_and_a_test_are_the_context(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "flk")
    request = "add_binding in flk/scope.py should not overwrite an existing name; check it"
    focus = locate(repo, request, load_config(repo).config)
    assert focus is not None
    assert [t.name for t in focus.trace.targets] == ["add_binding"]
    assert [c.name for c in focus.trace.callers] == ["bind_all"]
    assert [t.name for t in focus.trace.tests] == ["test_bind_all"]
    text = focus.render()
    assert "    if name not in scope:\n        scope[name] = value" in text  # verbatim
    assert "Its test:" in text and "def helper_3" not in text and "def rebind" not in text
    # no file named: an identifier-like name is looked up in the project's sources
    other = locate(repo, "bind_all loses the second pair", load_config(repo).config)
    assert other is not None and [t.name for t in other.trace.targets] == ["bind_all"]


def test_failing_tests_locate_the_fault_and_the_prompt_stays_small(tmp_path: Path) -> None:
    """Nothing named: the request says the tests fail, so the project's tests are run
    and the failure traced (a KeyError raised inside add_binding)."""
    fault = (
        "        scope[name] = value\n\n\ndef rebind",
        "        scope[name] += value\n\n\ndef rebind",
    )
    repo = _repo(tmp_path / "flk", fault)
    request = "The tests fail: a recent change in flk/scope.py broke bindings. Fix the bug."
    focus = locate(repo, request, load_config(repo).config)
    assert focus is not None and focus.trace.targets[0].name == "add_binding"
    asked: list[int] = []

    def broad(query: str, budget: int, files: object, exclude: object) -> str:
        asked.append(budget)
        return "EXCERPTS"

    task = SubTask(id="t1", prompt=request, category="code", files=("flk/scope.py",))
    built = edit_prompt(
        repo, task, {}, Feedback(0), window=32000, max_context_tokens=20000,
        context=broad, focus=focus.render,
    )  # fmt: skip
    prompt = "\n".join(m.content for m in built.request.messages)
    assert "    if name not in scope:\n        scope[name] += value" in prompt
    assert "test_bind_all" in prompt and "def helper_" not in prompt
    assert asked == [] and "EXCERPTS" not in prompt  # no broad context beside it
    assert estimate_tokens(prompt) < 2000


def test_a_request_about_nothing_in_particular_keeps_the_broad_context(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "flk")
    assert (
        locate(repo, "Add a section on installation to the README.", load_config(repo).config)
        is None
    )


def test_mom_run_sends_the_traced_function_and_fixes_it_in_one_call(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """End to end through `mom run`: the request says the tests fail; the first model
    asked sees the faulty line in a small prompt and its edit is validated."""
    repo = _repo(tmp_path / "flk", FAULT)
    fake = caller(load_config(environ={}).config, {})
    monkeypatch.setattr(run_cmd, "build_caller", lambda config, sink: (fake, None))
    prompts: list[str] = []

    def answer(model: str, req: CompletionRequest) -> str:
        text = "\n".join(m.content for m in req.messages)
        prompts.append(text)
        return FIX if "scope[name] += value" in text else "I see no bug."

    fake.default = answer
    request = "The tests fail: a recent change in flk/scope.py broke bindings. Fix the bug."
    result = CliRunner().invoke(app, ["run", request, "--json", "--repo", str(repo)])
    assert result.exit_code == 0, result.output
    assert len(prompts) == 1 and estimate_tokens(prompts[0]) < 2000
    assert "def helper_" not in prompts[0]
    assert (repo / "flk/scope.py").read_text() == SCOPE
