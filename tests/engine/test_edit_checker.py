"""`mom run` edits: apply → validate (real pytest/ruff) → keep, or roll back and escalate."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from edit_repo import (
    BAD_EDIT,
    GOOD_EDIT,
    GOOD_OPS,
    LOCAL_ONLY,
    OPS,
    REQUEST,
    USER_EDIT,
    caller,
    config,
    git,
    make_repo,
    tree_state,
)
from fakes.scripted import ScriptedCaller

from mom_cli.config import MomConfig
from mom_cli.engine.edit_checker import RepoEditor
from mom_cli.engine.edit_prompt import IndexContext
from mom_cli.engine.pipeline import Pipeline, RunResult
from mom_cli.index.tokens import estimate_tokens
from mom_cli.providers.base import CompletionRequest

Reply = Callable[[str, CompletionRequest], str]


def run_edit(
    repo: Path, cfg: MomConfig, fake: ScriptedCaller, request: str = REQUEST
) -> tuple[RunResult, RepoEditor]:
    index = IndexContext(repo)
    index.refresh()
    editor = RepoEditor(repo, cfg, context=index)
    pipeline = Pipeline(cfg, fake, checker=editor.check, prompter=editor.prompt)

    async def go() -> RunResult:
        planned = await pipeline.plan(request)
        if editor.activate(request, planned.plan):
            editor.prepare()
        return await pipeline.execute(planned)

    return asyncio.run(go()), editor


def in_order(*replies: str | Callable[[CompletionRequest], str]) -> Reply:
    """Replies by call order, whichever model the ladder picks (the last one repeats)."""
    queue = list(replies)

    def reply(model: str, request: CompletionRequest) -> str:
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        return item if isinstance(item, str) else item(request)

    return reply


def test_bad_edit_rolls_back_byte_exact_and_escalates_with_diagnostics(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    cfg = config()
    fake = caller(cfg)
    seen_at_retry: dict[str, bytes] = {}

    def second(request: CompletionRequest) -> str:
        seen_at_retry["ops"] = (repo / "calc/ops.py").read_bytes()  # after the rollback
        return GOOD_EDIT

    fake.default = in_order(BAD_EDIT, second)

    result, editor = run_edit(repo, cfg, fake)

    assert result.status == "passed", result.climbs["t1"].attempts
    assert seen_at_retry["ops"] == OPS.encode()  # rolled back byte for byte before the retry
    first, retry = fake.calls
    tiers = [cfg.models[c.model].tier for c in fake.calls]
    assert tiers[0] != tiers[1]  # escalated to the next tier up
    assert "<<<<<<< SEARCH" in first.prompt and "Current content of calc/ops.py" in first.prompt
    assert "== tests/test_ops.py" in first.prompt  # index excerpts of related code
    assert "A previous attempt failed" in retry.prompt
    assert "tests stage" in retry.prompt and "test_add" in retry.prompt
    assert (repo / "calc/ops.py").read_text() == GOOD_OPS
    assert (repo / "NOTES.md").read_bytes() == USER_EDIT  # the user's work survives
    step = editor.steps["t1"]
    assert step.status == "applied" and step.changed_files == ["calc/ops.py"]
    assert step.validation is not None and step.validation["passed"]
    assert [a["outcome"] for a in step.attempts] == ["validation failed", "validated"]
    assert editor.snapshot_ref.startswith("refs/mom/snapshots/")
    assert "calc/ops.py" in git(repo, "status", "--porcelain")  # left uncommitted by default


def test_commit_only_when_configured(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    cfg = config(commit_changes=True, commit_message="mom: {summary}")
    fake = caller(cfg)
    fake.default = lambda model, req: GOOD_EDIT
    head = git(repo, "rev-parse", "HEAD")

    result, editor = run_edit(repo, cfg, fake)

    assert result.status == "passed"
    assert editor.steps["t1"].status == "committed"
    assert git(repo, "rev-parse", "HEAD^") == head
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == ["calc/ops.py"]
    assert (repo / "NOTES.md").read_bytes() == USER_EDIT
    assert "NOTES.md" in git(repo, "status", "--porcelain")  # the user's edit stays theirs


@pytest.mark.parametrize(
    ("path", "outcome"),
    [
        ("../outside.py", "refused"),
        ("calc/../../x.py", "refused"),
        (".git/hooks/pre-commit", "refused"),
        ("/tmp/mom-escape.py", "unparseable"),  # not even read as a path
    ],
)
def test_path_escape_is_refused_and_changes_nothing(
    tmp_path: Path, path: str, outcome: str
) -> None:
    repo = make_repo(tmp_path / "repo")
    before = tree_state(repo)
    cfg = config()
    fake = caller(cfg)
    fake.default = lambda model, req: (
        f"{path}\n<<<<<<< SEARCH\n=======\nboom = 1\n>>>>>>> REPLACE\n"
    )

    result, editor = run_edit(repo, cfg, fake)

    assert result.status == "failed"
    assert tree_state(repo) == before
    assert not (tmp_path / "outside.py").exists() and not (tmp_path / "x.py").exists()
    assert not Path("/tmp/mom-escape.py").exists()
    assert not (repo / ".git/hooks/pre-commit").exists()
    diagnostics = result.climbs["t1"].attempts[0].diagnostics
    assert any(("refused" if outcome == "refused" else "file path") in d for d in diagnostics)
    assert [a["outcome"] for a in editor.steps["t1"].attempts] == [outcome, outcome]


def test_reply_without_edit_blocks_fails_clearly(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    before = tree_state(repo)
    cfg = config()
    fake = caller(cfg, LOCAL_ONLY)
    fake.default = lambda model, req: "Sure! You can add a double function to your file."

    result, _ = run_edit(repo, cfg, fake)

    assert result.status == "failed"
    climb = result.climbs["t1"]  # the free tier retried once (nothing above is usable),
    assert len(climb.attempts) == 2  # then stopped: the same failure came back
    assert all("no edit blocks" in a.diagnostics[0] for a in climb.attempts)
    assert climb.stopped.startswith("local/smollm2 failed the same way twice: ")
    assert tree_state(repo) == before


def test_question_stays_answer_only(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    before = tree_state(repo)
    cfg = config()
    fake = caller(cfg, LOCAL_ONLY)
    fake.default = lambda model, req: GOOD_EDIT  # even an edit-shaped answer is not applied

    result, editor = run_edit(repo, cfg, fake, "What does add() in calc/ops.py do?")

    assert result.status == "passed" and not editor.active
    assert "<<<<<<< SEARCH" not in fake.calls[0].prompt  # the plain answer prompt
    assert tree_state(repo) == before


def test_edit_prompt_fits_the_small_local_window(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    cfg = config()
    fake = caller(cfg, LOCAL_ONLY)
    sent: list[CompletionRequest] = []
    fake.default = lambda model, req: sent.append(req) or "no"

    run_edit(repo, cfg, fake)

    assert fake.models_called() == ["smollm2"] * 2  # one free retry of the same failure
    prompt = "\n".join(m.content for m in sent[0].messages)
    assert "Current content of calc/ops.py" in prompt
    window = cfg.models["smollm2"].context_window
    assert estimate_tokens(prompt) + sent[0].max_tokens < window  # prompt + reply fit


def test_local_model_review_can_fail_a_step_with_its_reason(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    cfg = config(local_model_review=True)
    fake = caller(cfg, LOCAL_ONLY)
    fake.default = lambda model, req: GOOD_EDIT
    diffs: list[str] = []

    def reviewer(diff: str) -> tuple[float, str]:
        diffs.append(diff)
        return 0.1, "double() is not covered by a test"

    index = IndexContext(repo)
    editor = RepoEditor(repo, cfg, context=index, reviewer=reviewer)
    pipeline = Pipeline(cfg, fake, checker=editor.check, prompter=editor.prompt)

    async def go() -> RunResult:
        planned = await pipeline.plan(REQUEST)
        editor.activate(REQUEST, planned.plan)
        return await pipeline.execute(planned)

    result = asyncio.run(go())

    assert result.status == "failed"
    assert diffs and "+def double(x: int) -> int:" in diffs[0]  # the step's own diff
    assert "NOTES.md" not in diffs[0]  # not the user's uncommitted work
    attempt = result.climbs["t1"].attempts[0]
    assert any("not covered by a test" in d for d in attempt.diagnostics)
    assert (repo / "calc/ops.py").read_text() == OPS


BROKEN_TEST = "\n\ndef test_environment_quirk() -> None:\n    assert False, 'fails here'\n"


def add_failing_test(repo: Path) -> None:
    """A committed test that fails whatever mom does, beside the one its edits affect."""
    with (repo / "tests/test_ops.py").open("a") as handle:
        handle.write(BROKEN_TEST)
    git(repo, "add", "tests/test_ops.py")
    git(repo, "commit", "-qm", "a test that already fails")


def test_a_test_failing_before_the_run_does_not_fail_the_edit(tmp_path: Path) -> None:
    """schedule has a test that fails at HEAD: every edit of `mom run` failed validation,
    was rolled back and climbed to the next paid tier for a failure no edit could fix."""
    repo = make_repo(tmp_path / "repo")
    add_failing_test(repo)
    cfg = config()
    fake = caller(cfg)
    fake.default = lambda model, req: GOOD_EDIT

    result, editor = run_edit(repo, cfg, fake)

    assert result.status == "passed", result.climbs["t1"].attempts
    assert len(fake.calls) == 1  # no climb for the test that was already failing
    assert (repo / "calc/ops.py").read_text() == GOOD_OPS
    assert (repo / "NOTES.md").read_bytes() == USER_EDIT
    step = editor.steps["t1"]
    assert step.status == "applied" and step.validation is not None
    tests = next(s for s in step.validation["stages"] if s["name"] == "tests")
    assert tests["passed"] and "already failing before this run" in str(tests)
    assert [s["name"] for s in step.validation["stages"]][-1] == "lint"  # still linted
    climb = result.climbs["t1"]
    summary = climb.result.output if climb.result is not None else ""
    assert "1 test(s) already failing before this run, left alone" in summary


def test_an_edit_that_breaks_a_passing_test_still_fails_beside_an_old_failure(
    tmp_path: Path,
) -> None:
    repo = make_repo(tmp_path / "repo")
    add_failing_test(repo)
    cfg = config()
    fake = caller(cfg)
    fake.default = in_order(BAD_EDIT, GOOD_EDIT)

    result, editor = run_edit(repo, cfg, fake)

    assert result.status == "passed"
    assert [a["outcome"] for a in editor.steps["t1"].attempts] == [
        "validation failed",
        "validated",
    ]  # test_add broke: the old failure beside it excuses nothing
    assert (repo / "calc/ops.py").read_text() == GOOD_OPS
