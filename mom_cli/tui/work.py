"""What each request and slash command does, as plain functions a thread worker runs.

Each takes the workspace, the event sink, a cancel token and an `out(text)` callback for
report text, calls the service layer, and returns (exit code, one-line summary, payload).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mom_cli.errors import ExitCode, MomError
from mom_cli.events import EventSink
from mom_cli.service.cancel import Cancelled, CancelToken
from mom_cli.service.workspace import Workspace
from mom_cli.tui.commands import HELP, Command

Out = Callable[[str], object]
Result = tuple[int, str, Any]


def perform(cmd: Command, ws: Workspace, sink: EventSink, token: CancelToken, out: Out) -> Result:
    """Run one command; MomError becomes its exit code and message, never a traceback."""
    try:
        return _DISPATCH[cmd.name](cmd, ws, sink, token, out)
    except Cancelled:
        return ExitCode.INTERRUPTED, "cancelled", None
    except MomError as exc:
        return exc.exit_code, f"error: {exc}", exc


def _run(cmd: Command, ws: Workspace, sink: EventSink, token: CancelToken, out: Out) -> Result:
    from mom_cli.service.run import run_request

    outcome = run_request(ws, cmd.arg, sink=sink, token=token)
    if outcome.cancelled:
        n = len(outcome.rolled_back)
        return ExitCode.INTERRUPTED, f"cancelled; {n} in-flight step(s) rolled back", outcome
    result = outcome.result
    assert result is not None
    if result.answer:
        out(result.answer)
    for diagnosis in outcome.diagnoses:
        for line in diagnosis.lines():
            out(line)
    t = outcome.document.get("totals", {})
    summary = (
        f"{result.status}: {t.get('calls', 0)} calls, "
        f"{t.get('input_tokens', 0)}+{t.get('output_tokens', 0)} tokens, "
        f"${t.get('cost_usd', 0.0):.5f}"
    )
    if result.stop_error is not None:
        summary += f" · {result.stop_error}"
    return result.exit_code, summary, outcome


def _fix(cmd: Command, ws: Workspace, sink: EventSink, token: CancelToken, out: Out) -> Result:
    from mom_cli.service.fix import fix_build

    result = fix_build(ws, sink=sink, token=token)
    if result is None:
        return ExitCode.INTERRUPTED, "fix-build cancelled; its steps were rolled back", None
    t = result.totals()
    for hint in result.environment:
        out(f"environment: {hint}")
    for need in result.needs:
        out(f"next tier needed: {need}")
    verdict = "build, tests and lint pass" if result.passed else "still failing"
    summary = f"fix-build: {t['fixed']}/{t['steps']} fixed · ${t['cost_usd']:.4f} · {verdict}"
    return result.exit_code, summary, result


def _milestone(
    cmd: Command, ws: Workspace, sink: EventSink, token: CancelToken, out: Out
) -> Result:
    from mom_cli.service.milestone import milestone

    report = milestone(ws, int(cmd.arg), sink=sink, token=token, stale="resume")
    for it in report.items:
        if it.diagnosis:
            out(f"item {it.index}: {it.diagnosis}")
    t = report.totals
    done = sum(1 for it in report.items if it.status in ("validated", "done"))
    summary = (
        f"milestone {report.milestone}: {done}/{len(report.items)} items · "
        f"${t.cost_usd:.4f} · savings ${t.savings_usd:.4f}"
    )
    return (ExitCode.OK if report.ok else ExitCode.FAILED), summary, report


def _ask(cmd: Command, ws: Workspace, sink: EventSink, token: CancelToken, out: Out) -> Result:
    from mom_cli.service.ask import ask, cut_off_note

    result = ask(ws, cmd.arg, sink=sink, token=token)
    c = result.completion
    out(c.content)
    cut = cut_off_note(c)
    summary = f"{c.tier}/{c.model} · {c.input_tokens}→{c.output_tokens} tokens"
    return ExitCode.OK, summary + (f" · {cut}" if cut else ""), result


def _context(cmd: Command, ws: Workspace, sink: EventSink, token: CancelToken, out: Out) -> Result:
    from mom_cli.service.context import preview_context

    # the same call as `mom context` (first-answer while the index builds, warnings)
    result = preview_context(ws.repo, cmd.arg, ws.config.context.model_dump())
    for warning in result.warnings:
        out(f"warning: {warning}")
    summary = (
        f"context: {len(result.excerpts)} excerpts from {len(result.files)} files, "
        f"~{result.tokens}/{result.budget} tokens (estimate)"
    )
    return ExitCode.OK, summary, result


def _undo(cmd: Command, ws: Workspace, sink: EventSink, token: CancelToken, out: Out) -> Result:
    from mom_cli.service.undo import undo

    outcome = undo(ws.repo)  # the same call as `mom undo` (repo lock, recovery, refusal)
    for r in outcome.recovered:
        out(f"  rolled back interrupted step {r.id}: {r.summary} ({', '.join(r.paths)})")
    done = outcome.run
    if done is None:
        hint = " · /undo again reverts mom's last applied run" if outcome.more else ""
        return ExitCode.OK, f"recovered {len(outcome.recovered)} interrupted step(s){hint}", outcome
    for f in done.files:
        out(f"  {f['action']} {f['path']}")
    return ExitCode.OK, f"undid run {done.run.label()}: {len(done.steps)} step(s)", outcome


def _cost(cmd: Command, ws: Workspace, sink: EventSink, token: CancelToken, out: Out) -> Result:
    from mom_cli.service.info import cost

    report = cost(ws.config)
    width = max((len(ln.model) for ln in report.lines), default=0)  # rule names run long
    for ln in report.lines:
        out(
            f"{ln.tier:<9} {ln.model:<{width}} {ln.calls:>5} calls  "
            f"{ln.input_tokens + ln.output_tokens:>9,} tokens  ${ln.cost_usd:.4f}"
        )
    summary = (
        f"all time: {report.calls} calls, ${report.cost_usd:.4f}; all-"
        f"{report.baseline_model or 'top tier'} ${report.baseline_cost_usd:.4f} → "
        f"savings ${report.savings_usd:.4f}"
    )
    return ExitCode.OK, summary, report


def _doctor(cmd: Command, ws: Workspace, sink: EventSink, token: CancelToken, out: Out) -> Result:
    from mom_cli.service.doctor import detail_lines, doctor_report

    report = doctor_report(ws.repo, ws.config)
    for t in report["tiers"]:
        why = ", ".join(t["models"]) or t["reason"]
        out(f"{t['tier']:<9} {'yes' if t['usable'] else 'no ':<4} {why}")
    for line in detail_lines(report):  # the same lines as `mom doctor`
        out(line)
    verdict = "ok" if report["ok"] else "no model tier is usable"
    return (ExitCode.OK if report["ok"] else ExitCode.FAILED), f"doctor: {verdict}", report


def _help(cmd: Command, ws: Workspace, sink: EventSink, token: CancelToken, out: Out) -> Result:
    for name, what in HELP.items():
        out(f"{name:<16} {what}")
    out(f"{'anything else':<16} a request: analyze → plan → run → validate (mom run)")
    return ExitCode.OK, "commands", None


_DISPATCH: dict[str, Callable[[Command, Workspace, EventSink, CancelToken, Out], Result]] = {
    "run": _run,
    "fix": _fix,
    "milestone": _milestone,
    "ask": _ask,
    "context": _context,
    "undo": _undo,
    "cost": _cost,
    "doctor": _doctor,
    "help": _help,
}
