"""The session's pure parts: slash-command parsing (untrusted text) and folding events."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mom_cli.events import (
    AttemptFailed,
    ChangeApplied,
    ChangeHeld,
    ChecklistLoaded,
    CostRecorded,
    Escalated,
    Notice,
    TaskFinished,
    TaskRouted,
    TaskStarted,
)
from mom_cli.tui.bridge import EventPump
from mom_cli.tui.commands import parse
from mom_cli.tui.state import MAX_NOTES, SessionState


def test_parse_commands() -> None:
    assert parse("add a test").name == "run"
    assert parse("/milestone 3").arg == "3"
    assert parse("/milestone three").error.startswith("usage: /milestone N")
    assert parse("/context retry loop").arg == "retry loop"
    assert parse("/ask").error == "usage: /ask PROMPT"
    assert parse("/nope").error == "unknown command /nope; /help lists them"
    assert parse("  /FIX  ").name == "fix"


@given(st.text(max_size=80))
def test_parse_never_raises_and_names_a_known_command(text: str) -> None:
    cmd = parse(text)
    known = {"run", "fix", "milestone", "ask", "context", "undo", "cost", "doctor", "help"}
    assert cmd.name in known or cmd.error
    if cmd.name == "milestone" and not cmd.error:
        assert cmd.arg.isdigit()


def test_events_fold_into_steps_with_escalation_parallelism_and_review() -> None:
    ticks = iter(range(100))
    state = SessionState(clock=lambda: float(next(ticks)))
    for event in (
        TaskStarted("t1", "first"),
        TaskStarted("t2", "second"),
        TaskRouted("t1", "groq", "groq-llama"),
        CostRecorded("t1", "groq", "groq-llama", 100, 20, 0.01),
        AttemptFailed("t1", "groq", "groq-llama", "lint failed"),
        Escalated("t1", "groq", "haiku", "lint failed"),
        TaskRouted("t1", "haiku", "haiku"),
        CostRecorded("t1", "haiku", "haiku", 100, 20, 0.02),
        ChangeHeld("t1", "rec1", ("a.py",), ("syntax:passed",)),
        TaskFinished("t1", "passed"),
    ):
        state.apply(event)
    t1, t2 = state.steps["t1"], state.steps["t2"]
    assert (t1.status, t1.tier, t1.model, t1.attempts, t1.tokens) == (
        "passed", "haiku", "haiku", 2, 240,
    )  # fmt: skip
    assert round(t1.cost_usd, 4) == 0.03 and t1.seconds > 0
    assert t1.escalations == ["groq → haiku: lint failed"]
    assert t1.parallel and t2.parallel and t2.status == "running"
    assert [s.task_id for s in state.held] == ["t1"]
    assert state.apply(Notice("budget", "warning")) == "⚠ budget"


def test_applied_changes_keep_the_first_checkpoint_and_are_not_held() -> None:
    """fix-build applies without review; two rule fixes in one file are one step whose
    diff starts from the first fix's before-bytes."""
    state = SessionState()
    for event in (
        TaskStarted("rules:a.py", "fix a.py"),
        ChangeApplied("rules:a.py", "rec1", ("a.py",)),
        ChangeApplied("rules:a.py", "rec2", ("a.py",)),
        TaskFinished("rules:a.py", "passed"),
    ):
        state.apply(event)
    row = state.steps["rules:a.py"]
    assert (row.record_id, row.files, row.review) == ("rec1", ("a.py",), "")
    assert state.held == []


def test_milestone_items_tick() -> None:
    state = SessionState()
    state.apply(ChecklistLoaded(2, "Shapes", ((1, "area", "pending"), (2, "perimeter", "done"))))
    state.apply(TaskStarted("m2.1", "area"))
    assert [i.status for i in state.checklist] == ["running", "done"]
    state.apply(TaskFinished("m2.1", "passed"))
    assert [i.status for i in state.checklist] == ["validated", "done"]


def test_pump_drains_in_order_and_in_bounded_batches() -> None:
    pump = EventPump()
    for n in range(12):
        pump(Notice(str(n)))
    first = pump.drain(limit=5)
    assert [e.message for e in first] == ["0", "1", "2", "3", "4"]  # type: ignore[attr-defined]
    assert pump.backlog == 7 and len(pump.drain()) == 7 and pump.drained == 12


def test_a_long_retrying_step_keeps_bounded_notes() -> None:
    state = SessionState()
    state.apply(TaskStarted("t1", "edit"))
    for i in range(5000):
        state.apply(AttemptFailed("t1", "groq", "m", f"lint: E501 line {i}"))
        state.apply(Escalated("t1", "groq", "deepseek", f"reason {i}"))
    row = state.steps["t1"]
    assert len(row.failures) == MAX_NOTES and len(row.escalations) == MAX_NOTES
    assert row.failures[-1].endswith("line 4999") and row.escalations[-1].endswith("reason 4999")


def test_negative_savings_read_as_money() -> None:
    """A failed paid call saves nothing: the bar showed "saved $-0.0028"."""
    from mom_cli.service.info import Money
    from mom_cli.tui.widgets.money_bar import MoneyBar

    bar = MoneyBar("schedule")
    bar.money = Money(0.0028, 5.0, 4.0, 5.0, -0.0028, "claude-sonnet-4-5", 1)
    assert "saved -$0.0028 vs claude-sonnet-4-5" in str(bar.render_text())
    bar.money = Money(0.0028, 5.0, 4.0, 5.0, 0.0092, "claude-sonnet-4-5", 2)
    assert "saved $0.0092 vs" in str(bar.render_text())


def test_cut_log_lines_end_in_an_ellipsis() -> None:
    """A bare [:120] slice ended the log line mid-word, as if that were the message."""
    state = SessionState()
    reason = "The reply contained no edit blocks, so nothing was changed. " * 3
    line = state.apply(AttemptFailed("t1", "local", "smollm2", reason))
    assert line is not None and line.endswith("…") and len(line) < len(reason)
    short = state.apply(AttemptFailed("t1", "local", "smollm2", "no edit blocks"))
    assert short is not None and short.endswith("no edit blocks")
