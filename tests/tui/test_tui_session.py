"""The session driven with Textual's Pilot on temp git repos: the real engine, the real
rules tier and validators, paid tiers answered by loopback fakes through the real SDKs."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import Reply
from pilot_helpers import SIZE, app_for, finish, log_text, submit, until
from tui_project import (
    BAD_EDIT,
    GOOD_EDIT,
    GOOD_OPS,
    MORE_EDIT,
    OPS,
    REQUEST,
    REQUEST2,
    USER_EDIT,
    Paid,
    tree_state,
    write_config,
)

from mom_cli.tui.app import MomApp
from mom_cli.tui.screens.budget_screen import BudgetStopScreen
from mom_cli.tui.screens.confirm_quit import ConfirmQuit
from mom_cli.tui.screens.error_screen import ErrorScreen
from mom_cli.tui.widgets.checklist import Checklist
from mom_cli.tui.widgets.diff_panel import DiffPanel
from mom_cli.tui.widgets.plan_panel import PlanPanel
from mom_cli.tui.widgets.too_small import TooSmall
from mom_cli.workflows.milestone.lock import RepoLock

pytestmark = pytest.mark.anyio

MORE = '"""More."""\n\n\ndef one() -> int:\n    return 1\n'


async def test_request_escalates_then_accept_one_change_and_reject_another(
    project: Path, paid: Paid
) -> None:
    paid.openai.script(Reply(content=BAD_EDIT))  # deepseek breaks test_add
    paid.anthropic.script(Reply(content=GOOD_EDIT))  # haiku gets it right
    app = app_for(project, paid.config)
    async with app.run_test(size=SIZE) as pilot:
        await submit(pilot, REQUEST)
        assert await finish(pilot) == 0, log_text(app)
        step = app.state.steps["t1"]
        assert step.status == "passed" and (step.tier, step.model) == ("haiku", "haiku")
        assert step.escalations and step.escalations[0].startswith("deepseek → haiku")
        assert "tests" in step.escalations[0] and step.attempts == 2
        assert step.tokens > 0 and step.cost_usd > 0
        assert step.review == "held" and step.stages[2] == "tests:passed"
        assert app.query_one(PlanPanel).row_count == 1
        assert "escalated deepseek → haiku" in log_text(app)
        await pilot.press("f2", "a")  # accept the held change
        assert step.review == "accepted"
        assert (project / "calc/ops.py").read_text() == GOOD_OPS

        paid.openai.script(Reply(content=MORE_EDIT))
        await submit(pilot, REQUEST2)
        assert await finish(pilot) == 0, log_text(app)
        second = app.state.steps["t1"]
        assert second.review == "held" and second.files == ("calc/more.py",)
        assert "def two" in (project / "calc/more.py").read_text()
        assert "+def two() -> int:" in app.query_one(DiffPanel).diff_text
        await pilot.press("f2", "r")  # reject it: rolled back through its checkpoint
        assert second.review == "rejected"
    assert (project / "calc/more.py").read_text() == MORE
    assert (project / "calc/ops.py").read_text() == GOOD_OPS
    assert (project / "NOTES.md").read_bytes() == USER_EDIT
    assert app.return_code in (None, 0)


async def test_a_new_run_waits_until_the_held_changes_are_decided(
    project: Path, paid: Paid
) -> None:
    """A second run used to reset the plan panel: the first run's held change vanished
    from it (no a/r any more, the held count said 1 of 2) while it stayed on disk."""
    paid.openai.script(Reply(content=GOOD_EDIT))
    app = app_for(project, paid.config)
    async with app.run_test(size=SIZE) as pilot:
        await submit(pilot, REQUEST)
        assert await finish(pilot) == 0, log_text(app)
        assert app.state.steps["t1"].review == "held"
        calls = len(paid.openai.chat_requests)

        paid.openai.script(Reply(content=MORE_EDIT))
        await submit(pilot, REQUEST2)
        await pilot.pause(0.2)
        assert "1 change(s) still held for review" in log_text(app)
        assert app.busy == 0 and len(paid.openai.chat_requests) == calls
        assert app.state.steps["t1"].review == "held"  # still in the panel, decidable
        assert (project / "calc/more.py").read_text() == MORE

        await pilot.press("f2", "A")  # accept all: the next request runs
        await submit(pilot, REQUEST2)
        assert await finish(pilot) == 0, log_text(app)
        assert app.state.steps["t1"].files == ("calc/more.py",)
    assert (project / "calc/ops.py").read_text() == GOOD_OPS
    assert (project / "NOTES.md").read_bytes() == USER_EDIT


async def test_quit_with_held_changes_asks_and_says_they_stay_applied(
    project: Path, paid: Paid
) -> None:
    """Ctrl+Q used to exit at once, with no word that the held change stays on disk."""
    paid.openai.script(Reply(content=GOOD_EDIT))
    app = app_for(project, paid.config)
    async with app.run_test(size=SIZE) as pilot:
        await submit(pilot, REQUEST)
        assert await finish(pilot) == 0, log_text(app)
        await pilot.press("ctrl+q")
        assert isinstance(app.screen, ConfirmQuit)
        assert "1 change(s) are still held" in app.screen.question
        assert "leaves them applied" in app.screen.question
        await pilot.press("n")  # stay
        assert app.is_running and not isinstance(app.screen, ConfirmQuit)
        await pilot.press("ctrl+q", "y")
        await until(pilot, lambda: not app.is_running, timeout=30)
    assert app.return_code == 0
    assert (project / "calc/ops.py").read_text() == GOOD_OPS  # kept, as it said


async def test_a_refused_reject_can_be_tried_again_after_the_user_undoes_their_edit(
    project: Path, paid: Paid
) -> None:
    """A reject refused because the user edited the file since left the step "refused",
    which a/r then ignored: the change could no longer be rejected from the session."""
    paid.openai.script(Reply(content=GOOD_EDIT))
    app = app_for(project, paid.config)
    async with app.run_test(size=SIZE) as pilot:
        await submit(pilot, REQUEST)
        assert await finish(pilot) == 0, log_text(app)
        ops = project / "calc/ops.py"
        ops.write_text(GOOD_OPS + "# mine\n")  # the user edits the file mom changed
        await pilot.press("f2", "r")
        step = app.state.steps["t1"]
        assert step.review == "refused" and ops.read_text() == GOOD_OPS + "# mine\n"
        assert "your edits are kept: undo them and press r again" in log_text(app)
        assert app.state.held == [step]  # still applied, still undecided
        ops.write_text(GOOD_OPS)  # the user takes their line back out
        await pilot.press("r")
        assert step.review == "rejected"
    assert (project / "calc/ops.py").read_text() == OPS
    assert (project / "NOTES.md").read_bytes() == USER_EDIT


async def test_cancel_mid_run_rolls_back_and_leaves_the_users_work(
    project: Path, paid: Paid
) -> None:
    (project / "SLOW").write_text("4")  # the project's test sleeps: validation is slow
    before = tree_state(project)
    paid.openai.script(Reply(content=GOOD_EDIT))
    app = app_for(project, paid.config)
    async with app.run_test(size=SIZE) as pilot:
        await submit(pilot, REQUEST)
        # the edit is applied and being validated: the step is in flight
        await until(pilot, lambda: (project / "calc/ops.py").read_text() == GOOD_OPS)
        await pilot.press("ctrl+q")  # quitting during a run asks first
        assert isinstance(app.screen, ConfirmQuit)
        await pilot.press("n")
        assert app.busy == 1
        await pilot.press("ctrl+c")
        assert await finish(pilot) == 130, log_text(app)
        # cancelled while validating: the edit was rolled back, and the count says so
        # (it said "0 in-flight step(s) rolled back")
        assert "t1: interrupted; its change was rolled back" in log_text(app)
        assert "cancelled; 1 in-flight step(s) rolled back" in log_text(app)
    assert tree_state(project) == before


async def test_quit_during_a_run_cancels_it_then_exits_0(project: Path, paid: Paid) -> None:
    (project / "SLOW").write_text("3")
    before = tree_state(project)
    paid.openai.script(Reply(content=GOOD_EDIT))
    app = app_for(project, paid.config)
    async with app.run_test(size=SIZE) as pilot:
        await submit(pilot, REQUEST)
        await until(pilot, lambda: (project / "calc/ops.py").read_text() == GOOD_OPS)
        await pilot.press("ctrl+q")
        assert isinstance(app.screen, ConfirmQuit)
        await pilot.press("y")
        await until(pilot, lambda: not app.is_running, timeout=120)
    assert app.return_code == 0
    assert tree_state(project) == before


async def test_budget_stop_screen(project: Path, paid: Paid, tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "tight.toml",
        paid.openai.url,
        paid.anthropic.url,
        warn_threshold_usd=0.0,
        stop_threshold_usd=0.00001,
    )
    before = tree_state(project)
    app = app_for(project, config)
    async with app.run_test(size=SIZE) as pilot:
        await submit(pilot, REQUEST)
        assert await finish(pilot) == 3, log_text(app)
        assert isinstance(app.screen, BudgetStopScreen)
        assert "stop_threshold_usd" in app.screen.message
        await pilot.press("escape")
        assert not isinstance(app.screen, BudgetStopScreen)
    assert paid.openai.chat_requests == [] and tree_state(project) == before


async def test_milestone_checklist_ticks(project: Path, paid: Paid) -> None:
    (project / "MILESTONES.md").write_text(
        "# Plan\n\n## Milestone 1: Doubling\n\n"
        "- [ ] Add a function double(x) to calc/ops.py that returns x * 2\n"
    )
    paid.openai.script(Reply(content=GOOD_EDIT))
    app = app_for(project, paid.config)
    seen: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await submit(pilot, "/milestone 1")
        await until(pilot, lambda: bool(app.state.checklist))
        seen.append(app.state.checklist[0].status)
        code = await finish(pilot)
        assert code == 0, log_text(app)
        seen.append(app.state.checklist[0].status)
        assert app.query_one("#checklist").display
        assert "[x] 1. Add a function double" in app.query_one(Checklist).plain
    assert seen[0] in ("pending", "running") and seen[-1] == "validated"
    assert "- [x] Add a function double" in (project / "MILESTONES.md").read_text()
    assert (project / "calc/ops.py").read_text() == GOOD_OPS


async def test_second_run_is_refused_by_the_repo_lock(project: Path, paid: Paid) -> None:
    before = tree_state(project)
    app = app_for(project, paid.config)
    with RepoLock(project, "another mom"):
        async with app.run_test(size=SIZE) as pilot:
            await submit(pilot, REQUEST)
            assert await finish(pilot) == 2
            assert "another mom process" in log_text(app)
    assert paid.openai.chat_requests == [] and tree_state(project) == before


async def test_not_a_git_repository_opens_the_error_screen(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    app = app_for(plain)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, ErrorScreen)
        assert "not inside a git repository" in app.screen.problem
        await pilot.press("q")
    assert app.return_code == 2


async def test_broken_config_opens_the_error_screen(project: Path, tmp_path: Path) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text("[cost]\ndaily_budget_usd = 'lots'\n")
    app = app_for(project, bad)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ErrorScreen), timeout=30)
        assert isinstance(app.screen, ErrorScreen)
        assert "daily_budget_usd" in app.screen.problem
        # its footer offers only what works there: not the main screen's accept/reject
        shown = {k for k, b in app.screen.active_bindings.items() if b.binding.show}
        assert {"a", "r", "A", "R", "f2", "f3"}.isdisjoint(shown), shown
        await pilot.press("a")
        assert isinstance(app.screen, ErrorScreen)
        await pilot.press("ctrl+q")
    assert app.return_code == 2


async def test_slash_commands_and_history(project: Path, paid: Paid) -> None:
    app = app_for(project, paid.config)
    async with app.run_test(size=SIZE) as pilot:
        await submit(pilot, "/help")
        await finish(pilot)
        assert "/milestone N" in log_text(app)
        await submit(pilot, "/bogus")
        await pilot.pause(0.1)
        assert "unknown command /bogus" in log_text(app)
        await submit(pilot, "/doctor")
        await finish(pilot)
        assert "haiku" in log_text(app) and "doctor: ok" in log_text(app)
        # the same detail as `mom doctor`, not only tiers and missing tools
        assert "sandbox network:" in log_text(app) and "protected paths:" in log_text(app)
        box = app.query_one("#request")
        await pilot.press("f3", "up")
        assert box.text == "/doctor"  # type: ignore[attr-defined]
        await pilot.press("up")
        assert box.text == "/bogus"  # type: ignore[attr-defined]


@pytest.mark.parametrize(("size", "small"), [((60, 15), True), ((120, 40), False)])
async def test_terminal_too_small_says_so(
    project: Path, size: tuple[int, int], small: bool
) -> None:
    app: MomApp = app_for(project, load_status=False)
    async with app.run_test(size=size):
        assert bool(app.query_one(TooSmall).display) is small


async def test_a_new_run_starts_with_narrow_plan_columns(project: Path) -> None:
    """Auto column widths only grow: a /fix step id kept the step column 30 wide."""
    from mom_cli.events import TaskStarted

    app = app_for(project, load_status=False)
    async with app.run_test(size=SIZE) as pilot:
        app.state.apply(TaskStarted("rules:src/cachetools/keys.py", "fix"))
        app.plan.refresh_from(app.state)
        await pilot.pause()
        wide = app.plan.columns["step"].get_render_width(app.plan)  # type: ignore[index]
        app.state.reset()
        app.plan.clear()
        app.state.apply(TaskStarted("t1", "a request"))
        app.plan.refresh_from(app.state)
        await pilot.pause()
        narrow = app.plan.columns["step"].get_render_width(app.plan)  # type: ignore[index]
        assert narrow < wide and narrow <= len("step") + 2, (wide, narrow)
        assert app.plan.row_count == 1
