"""`mom run` with rules repairing a model's near-miss edit, and free-tier retries."""

from __future__ import annotations

import asyncio
from pathlib import Path

from edit_repo import (
    BAD_EDIT,
    GOOD_EDIT,
    GOOD_OPS,
    LOCAL_ONLY,
    OPS,
    REQUEST,
    USER_EDIT,
    config,
    make_repo,
)
from fakes.scripted import ScriptedCaller, in_order

from mom_cli.config import MomConfig
from mom_cli.engine.edit_checker import RepoEditor
from mom_cli.engine.edit_prompt import IndexContext
from mom_cli.engine.pipeline import Pipeline, RunResult
from mom_cli.ledger.store import Ledger
from mom_cli.providers.base import CompletionRequest

# Right, but for a missing colon: the rules tier can finish it.
NEAR_MISS = GOOD_EDIT.replace("def double(x: int) -> int:", "def double(x: int) -> int")
# A missing colon the rules can fix, and a broken add() that no rule may touch.
HOPELESS = BAD_EDIT.replace("def double(x: int) -> int:", "def double(x: int) -> int")


def run(repo: Path, cfg: MomConfig, fake: ScriptedCaller, ledger: Ledger) -> RunResult:
    index = IndexContext(repo)
    index.refresh()
    editor = RepoEditor(repo, cfg, context=index, ledger=ledger, run_id="run")
    pipeline = Pipeline(cfg, fake, checker=editor.check, prompter=editor.prompt, run_id="run")

    async def go() -> RunResult:
        planned = await pipeline.plan(REQUEST)
        assert editor.activate(REQUEST, planned.plan)
        editor.prepare()
        return await pipeline.execute(planned)

    result = asyncio.run(go())
    result.editor = editor  # type: ignore[attr-defined]
    return result


def test_near_miss_is_repaired_by_rules_and_kept(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    cfg = config()
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    fake = ScriptedCaller(cfg, ledger=ledger, unavailable=LOCAL_ONLY)
    fake.default = in_order(NEAR_MISS)

    result = run(repo, cfg, fake, ledger)

    assert result.status == "passed", result.climbs["t1"].attempts
    assert fake.models_called() == ["smollm2"]  # one model call: the rules did the rest
    assert (repo / "calc/ops.py").read_text() == GOOD_OPS
    assert (repo / "NOTES.md").read_bytes() == USER_EDIT
    rows = [(r.tier, r.model, r.outcome, r.cost_usd) for r in ledger.rows(run_id="run")]
    assert rows == [
        ("local", "smollm2", "validated", 0.0),
        ("rules", "python.missing_colon", "validated", 0.0),
    ]
    step = result.editor.steps["t1"]  # type: ignore[attr-defined]
    assert step.rules == ["python.missing_colon"]
    assert step.attempts[-1]["outcome"] == "validated with rules' help"
    assert "rules repaired it: python.missing_colon" in result.climbs["t1"].result.output
    by = {(c.tier, c.model): c for c in result.contributions}
    assert set(by) == {("local", "smollm2"), ("rules", "python.missing_colon")}
    assert 0 < by["rules", "python.missing_colon"].weight < by["local", "smollm2"].weight
    assert abs(sum(c.weight for c in result.contributions) - 1) < 1e-3
    assert by["rules", "python.missing_colon"].cost_usd == 0
    assert all(c.subtask_id == "t1" for c in result.contributions)


def test_unrepairable_edit_rolls_back_byte_exact_then_escalates(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    cfg = config()
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    down = {"ollama-coder": "no server", "groq-llama": "no key", "sonnet": "quota"}
    fake = ScriptedCaller(cfg, ledger=ledger, unavailable=down)
    at_retry: dict[str, bytes] = {}

    def second(request: CompletionRequest) -> str:
        at_retry["ops"] = (repo / "calc/ops.py").read_bytes()
        at_retry["prompt"] = request.messages[-1].content.encode()
        return GOOD_EDIT

    queue: list[object] = [HOPELESS, second]
    fake.default = lambda model, req: (
        lambda item: item if isinstance(item, str) else item(req)  # type: ignore[operator]
    )(queue.pop(0))

    result = run(repo, cfg, fake, ledger)

    assert result.status == "passed"
    assert at_retry["ops"] == OPS.encode()  # model edit + the kept colon fix: all undone
    prompt = at_retry["prompt"].decode()
    assert "test_add" in prompt  # the original diagnostics …
    assert "Automatic rule repairs (" in prompt  # … and what the rules did
    first, second_model = fake.models_called()
    assert first != second_model
    rows = [(r.tier, r.model, r.outcome) for r in ledger.rows(run_id="run")]
    assert rows[0][2] == "failed_validation" and rows[-1][2] == "validated"
    assert ("rules", "python.missing_colon", "rolled_back") in rows
    assert (repo / "calc/ops.py").read_text() == GOOD_OPS
    assert [c.tier for c in result.contributions] == [rows[-1][0]]  # no rules credit


def test_free_tier_is_retried_when_no_higher_tier_is_usable(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    cfg = config()
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    fake = ScriptedCaller(cfg, ledger=ledger, unavailable=LOCAL_ONLY)
    fake.default = in_order(BAD_EDIT, BAD_EDIT, GOOD_EDIT)

    result = run(repo, cfg, fake, ledger)

    assert result.status == "passed"
    assert fake.models_called() == ["smollm2"] * 3
    assert "test_add" in fake.calls[1].prompt  # each retry is told what failed
    assert (repo / "calc/ops.py").read_text() == GOOD_OPS


def test_paid_tiers_get_no_extra_retries(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    cfg = config()
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    only_deepseek = {**LOCAL_ONLY}
    only_deepseek.pop("deepseek-chat")
    fake = ScriptedCaller(cfg, ledger=ledger, unavailable=only_deepseek)
    fake.default = in_order(BAD_EDIT, GOOD_EDIT)

    result = run(repo, cfg, fake, ledger)

    assert result.status == "failed"
    assert fake.models_called() == ["deepseek-chat"]
    assert (repo / "calc/ops.py").read_text() == OPS
