"""The interactive session: `mom` (no arguments) or `mom tui --repo PATH`.

Layout: the money/tiers bar on top; the plan panel, milestone checklist and event log on
the left; the diff panel on the right; the request box and key bindings at the bottom.
Work runs in Textual thread workers that call the service layer (mom_cli.service); the
engine's events reach the UI through an EventPump drained on a timer.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer

from mom_cli.errors import ExitCode
from mom_cli.events import CostRecorded
from mom_cli.service.cancel import CancelToken
from mom_cli.service.workspace import Workspace
from mom_cli.tui import hangup
from mom_cli.tui.bridge import EventPump
from mom_cli.tui.commands import CANCELLABLE, EDITING, Command, parse
from mom_cli.tui.messages import Output, Submitted, WorkDone
from mom_cli.tui.review_text import held_on_quit, held_refusal, not_held
from mom_cli.tui.screens.budget_screen import BudgetStopScreen
from mom_cli.tui.screens.confirm_quit import ConfirmQuit
from mom_cli.tui.screens.error_screen import ErrorScreen
from mom_cli.tui.state import UNDECIDED, SessionState
from mom_cli.tui.widgets.checklist import Checklist
from mom_cli.tui.widgets.diff_panel import DiffPanel
from mom_cli.tui.widgets.event_log import EventLog
from mom_cli.tui.widgets.money_bar import MoneyBar
from mom_cli.tui.widgets.plan_panel import PlanPanel
from mom_cli.tui.widgets.request_box import RequestBox
from mom_cli.tui.widgets.too_small import TooSmall

DRAIN_SECONDS = 0.05
LOG_LINES_PER_TICK = 40  # a burst beyond this is summarised in one line
PANEL_SECONDS = 0.25  # the plan table redraws at most 4×/s while events stream
MONEY_SECONDS = 1.0  # during a run, re-read today's spend from the ledger at most 1×/s
OTHER_RUN_SECONDS = 1.0  # how often to look whether another process's run has ended
OTHER_RECORD_GRACE = 10.0  # then how long to wait for its detached record
DETACHED_EXIT_GRACE = 15.0  # after a detached run is recorded, exit even if the UI hangs
MAIN_SCREEN_ACTIONS = {"cancel_run", "accept", "reject", "accept_all", "reject_all",
                       "focus_plan", "focus_request"}  # fmt: skip


class MomApp(App[None]):
    CSS_PATH = "mom.tcss"
    TITLE = "mom"
    BINDINGS = [
        Binding("ctrl+c", "cancel_run", "Cancel run", priority=True),
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("a", "accept", "Accept"),
        Binding("r", "reject", "Reject"),
        Binding("A", "accept_all", "Accept all"),
        Binding("R", "reject_all", "Reject all"),
        Binding("f2", "focus_plan", "Plan"),
        Binding("f3", "focus_request", "Request"),
    ]

    def __init__(
        self,
        workspace: Workspace | None,
        *,
        repo: Path | None = None,
        config_path: Path | None = None,
        startup_error: str = "",
        clock: Callable[[], float] = time.monotonic,
        load_status: bool = True,
        detach: Callable[[], None] = hangup.detach_terminal,
    ) -> None:
        super().__init__()
        self.ws = workspace
        self.repo = workspace.repo if workspace is not None else repo
        self.config_path = config_path
        self.pending: list[Command] = []  # typed before the config finished loading
        self.startup_error = startup_error
        self.state = SessionState(clock)
        self.pump = EventPump()
        self.token: CancelToken | None = None  # the editing run's (run, fix, milestone)
        self.tokens: list[CancelToken] = []  # of every CANCELLABLE command running
        self.busy = 0
        self.quit_pending = False
        self.load_status = load_status
        self.last_exit: int | None = None
        self.paint_time: float | None = None
        self.detached = False  # the terminal hung up: run headless, record, exit
        self._detach_terminal = detach
        self._sighup: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._exit_timer: threading.Timer | None = None
        self._money_dirty = False  # a call was ledgered since the bar last read the ledger
        self._money_loading = False
        self._money_at = 0.0
        # The main screen's widgets, held directly: while a modal screen is up,
        # app.query_one would search that screen instead.
        self.money_bar = MoneyBar(self.repo.name if self.repo is not None else "-", id="money")
        self.plan = PlanPanel(id="plan")
        self.checklist = Checklist(id="checklist")
        self.log_view = EventLog(id="log")
        self.diff = DiffPanel(id="diff")
        self.request_box = RequestBox(id="request")
        self.too_small = TooSmall(id="too-small")
        self._panels_at = 0.0
        self._other_run: Any = None  # the timer watching another process's run, if any
        self._other_freed: float | None = None  # when that run released the lock

    # -- layout ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield self.money_bar
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield self.plan
                yield self.checklist
                yield self.log_view
            yield self.diff
        yield self.request_box
        yield Footer()
        yield self.too_small

    def on_mount(self) -> None:
        self.plan.border_title = "plan"
        self.log_view.border_title = "log"
        self.diff.border_title = "change"
        self.request_box.border_title = "request · Enter sends · /help"
        self.checklist.display = False
        if self.startup_error:
            self.push_screen(ErrorScreen(self.startup_error, _hint(self.startup_error)))
            return
        self.set_interval(DRAIN_SECONDS, self.drain)
        self.request_box.focus()
        self.too_small.check(self.size.width, self.size.height)
        self.log_line("mom: type a request, or /help for commands. Ctrl+Q quits.")
        self._loop = asyncio.get_running_loop()
        self._sighup = hangup.install(self.on_sighup)
        self._show_detached_record()
        self._watch_other_run()
        self.call_after_refresh(self._painted)

    def on_unmount(self) -> None:
        hangup.restore(self._sighup)
        self._sighup = None
        if self._exit_timer is not None:  # exited in time: no forced exit needed
            self._exit_timer.cancel()

    def _show_detached_record(self) -> None:
        """A run that finished after the last session's terminal hung up: say so once."""
        from mom_cli.service import detached

        if self.repo is None:
            return
        doc = detached.take(self.repo)
        if doc is not None:
            first, *rest = detached.describe(doc)
            self.log_line(f"⏎ {first}")
            for line in rest:
                self.log_line(line)

    def _watch_other_run(self) -> None:
        """Another process is editing here: often the run of a session whose terminal was
        lost, still finishing headless. Say so now (else the first /undo or request meets
        a bare lock error), and show its record when it ends."""
        from mom_cli.edits.lock import holder_elsewhere

        if self.repo is None:
            return
        holder = holder_elsewhere(self.repo)
        if holder is None:
            return
        self.log_line(
            f"⏳ another mom process is working here ({holder}); its result shows here when "
            "it ends (a run whose terminal was lost finishes on its own)"
        )
        self._other_run = self.set_interval(OTHER_RUN_SECONDS, self._other_run_done)

    def _other_run_done(self) -> None:
        from mom_cli.edits.lock import holder_elsewhere

        assert self.repo is not None
        if holder_elsewhere(self.repo) is not None:
            return
        now = time.monotonic()
        if self._other_freed is None:
            self._other_freed = now
        # a detached run writes its record just after it releases the lock: wait for it
        recorded = (self.repo / ".mom" / "detached.json").exists()
        if not recorded and now - self._other_freed < OTHER_RECORD_GRACE:
            return
        if self._other_run is not None:
            self._other_run.stop()
            self._other_run = None
        self.log_line("⏳ the other mom process's run has ended")
        self._show_detached_record()

    # -- a lost terminal ------------------------------------------------------------------
    def on_sighup(self, signum: int = 0, frame: Any = None) -> None:
        """SIGHUP (the terminal is gone): detach from it and let the running work finish.
        Runs as a signal handler in the main thread, so it only flips state and hands the
        rest to the event loop."""
        if self.detached:
            return
        self.detached = True
        self._detach_terminal()
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nothing to do
                self._loop.call_soon_threadsafe(self._hung_up)

    def _hung_up(self) -> None:
        if not self.busy:
            self._exit_detached()
            return
        self.quit_pending = True  # exit once the work is done (and recorded)
        self.log_line("⏏ terminal lost: the run continues; its result goes to .mom/detached.json")

    def _record_detached(self, cmd: Command, code: int, summary: str, payload: Any) -> None:
        """In the worker thread, as soon as the work is done: the event loop may be stuck
        behind a dead terminal, so the record must not wait for it; nor must the exit."""
        from mom_cli.service import detached

        assert self.repo is not None
        held = [str(h) for h in getattr(payload, "held", []) or []]
        with contextlib.suppress(Exception):  # a full disk must not keep the process alive
            detached.record(self.repo, cmd.name, code, summary, held)
        if self.busy <= 1:
            self._arm_exit_timer()

    def _arm_exit_timer(self) -> None:
        """Headless, nobody can quit by hand: exit within DETACHED_EXIT_GRACE regardless."""
        if self._exit_timer is None:
            self._exit_timer = threading.Timer(DETACHED_EXIT_GRACE, os._exit, (0,))
            self._exit_timer.daemon = True
            self._exit_timer.start()

    def _exit_detached(self) -> None:
        self._arm_exit_timer()
        hangup.release_input()
        self.exit(return_code=0)

    def _open_workspace(self) -> None:
        from mom_cli.errors import MomError

        assert self.repo is not None
        try:
            ws = Workspace.open(self.repo, self.config_path)
        except MomError as exc:
            self._from_thread(self._cannot_open, str(exc))
            return
        self._from_thread(self._opened, ws)

    def _from_thread(self, callback: Callable[..., object], *args: object) -> None:
        """call_from_thread, unless the app has quit meanwhile (its loop is closed)."""
        if not self.is_running:
            return
        with contextlib.suppress(RuntimeError):  # it exited between the check and the call
            self.call_from_thread(callback, *args)

    def _opened(self, ws: Workspace) -> None:
        self.ws = ws
        if ws.trust_warning:
            self.log_view.write(f"⚠ warning: {ws.trust_warning}")
        if self.load_status:
            self.run_worker(self._load_status, thread=True, group="status")
        pending, self.pending = self.pending, []
        for cmd in pending:
            self.start(cmd)

    def _cannot_open(self, problem: str) -> None:
        self.startup_error = problem
        self.push_screen(ErrorScreen(problem, _hint(problem)))

    def _painted(self) -> None:
        """After the first frame: load the config (the slow import) and the money data."""
        self.paint_time = time.perf_counter()
        if self.ws is None and self.repo is not None:
            self.run_worker(self._open_workspace, thread=True, group="status")
        elif self.load_status:
            self.run_worker(self._load_status, thread=True, group="status")

    def on_resize(self, event: Any) -> None:
        self.too_small.check(event.size.width, event.size.height)

    # -- events from the engine -----------------------------------------------------------
    def drain(self, force: bool = False) -> None:
        """Fold queued events into the state; redraw the log now (one write, capped) and
        the panels at most every PANEL_SECONDS, so keys stay responsive in a burst."""
        events = self.pump.drain()
        if events:
            if not self._money_dirty:
                self._money_dirty = any(isinstance(e, CostRecorded) for e in events)
            lines = [line for line in map(self.state.apply, events) if line]
            if len(lines) > LOG_LINES_PER_TICK:
                skipped = len(lines) - LOG_LINES_PER_TICK
                lines = [f"… {skipped} more event lines (burst)", *lines[-LOG_LINES_PER_TICK:]]
            if lines:
                self.log_view.write("\n".join(lines))
        now = time.monotonic()
        if not force and now - self._panels_at < PANEL_SECONDS:
            return
        self._panels_at = now
        self._refresh_money(now)
        self.plan.refresh_from(self.state)
        self.checklist.refresh_from(self.state)
        self._refresh_diff()

    def log_line(self, text: str) -> None:
        self.log_view.write(text)

    # -- requests and commands ------------------------------------------------------------
    @on(Submitted)
    def submitted(self, message: Submitted) -> None:
        cmd = parse(message.text)
        self.log_line(f"» {message.text}")
        if cmd.error:
            self.log_line(f"✗ {cmd.error}")
            return
        self.start(cmd)

    def start(self, cmd: Command) -> None:
        if self.ws is None:
            if not self.startup_error:
                self.pending.append(cmd)  # runs once the config has loaded
            return
        editing = cmd.name in EDITING
        if editing and cmd.name == "undo" and self.busy:
            self.log_line("✗ /undo waits until the running work finishes")
            return
        if editing and cmd.name != "undo" and not self.busy and self.state.held:
            self.log_line(held_refusal(len(self.state.held), cmd.name))
            return
        if editing and not self.busy:
            self.state.reset()
            self.plan.clear()
        token = CancelToken()
        if editing and not self.busy:
            self.token = token
        if cmd.name in CANCELLABLE:
            self.tokens.append(token)
        self.busy += 1
        self.money_bar.show(busy=f"{cmd.name} running · Ctrl+C cancels")
        self.run_worker(lambda: self._work(cmd, token), thread=True, group="work")

    def _work(self, cmd: Command, token: CancelToken) -> None:
        """Runs in a worker thread: the service call, then one WorkDone message."""
        from mom_cli.tui.work import perform

        assert self.ws is not None
        try:
            code, summary, payload = perform(
                cmd, self.ws, self.pump, token, lambda t: self.post_message(Output(t))
            )
        except Exception as exc:  # a bug must not take the session down with it
            code, summary, payload = ExitCode.FAILED, f"internal error: {exc!r}", exc
        if self.detached:
            self._record_detached(cmd, code, summary, payload)
        self.post_message(WorkDone(cmd.name, code, summary, payload))

    @on(Output)
    def output(self, message: Output) -> None:
        self.drain(force=True)
        for line in message.text.splitlines() or [""]:
            self.log_line(line)

    @on(WorkDone)
    def work_done(self, message: WorkDone) -> None:
        self.drain(force=True)
        self.busy = max(0, self.busy - 1)
        if not self.busy:
            self.token = None
            self.tokens.clear()
            self.money_bar.show(busy="")
        self.last_exit = message.exit_code
        mark = "✓" if message.exit_code == ExitCode.OK else "✗"
        self.log_line(f"{mark} {message.summary}")
        if message.kind == "context" and message.payload is not None:
            self.diff.show_text(f"context: {message.payload.query}", message.payload.text)
        held = self.state.held
        if held and not self.busy:
            self.log_line(
                f"⏸ {len(held)} change(s) held for review: select a step (F2), "
                "a accept · r reject · A accept all · R reject all"
            )
        if message.exit_code == ExitCode.BUDGET:
            self.push_screen(BudgetStopScreen(message.summary))
        if self.load_status:
            self.run_worker(self._load_status, thread=True, group="status")
        if self.quit_pending and not self.busy:
            if self.detached:
                self._exit_detached()
            else:
                self.exit(return_code=0)

    # -- money and tiers ------------------------------------------------------------------
    def _refresh_money(self, now: float) -> None:
        """Live money bar: after a call is ledgered, re-read today's spend (from the
        ledger, in a thread) at most every MONEY_SECONDS."""
        if not self._money_dirty or self._money_loading or self.ws is None:
            return
        if now - self._money_at < MONEY_SECONDS or not self.load_status:
            return
        self._money_dirty, self._money_loading, self._money_at = False, True, now
        self.run_worker(self._load_money, thread=True, group="money")

    def _load_money(self) -> None:
        from mom_cli.service.info import money

        assert self.ws is not None
        try:
            status = money(self.ws.config)
        except Exception:  # a locked or busy ledger: try again after the next call
            self._from_thread(self._money_loaded, None)
            return
        self._from_thread(self._money_loaded, status)

    def _money_loaded(self, status: Any) -> None:
        self._money_loading = False
        if status is not None:
            self.show_status(status, None)

    def _load_status(self) -> None:
        from mom_cli.service.doctor import tiers_report
        from mom_cli.service.info import money

        assert self.ws is not None
        status = money(self.ws.config)
        tiers = tiers_report(self.ws.config)
        self._from_thread(self.show_status, status, tiers)

    def show_status(self, status: Any, tiers: list[dict[str, Any]] | None) -> None:
        bar = self.money_bar
        before = bar.money.level if bar.money is not None else "ok"
        bar.show(money=status, tiers=tiers)
        if status.level == "warn" and before != "warn":
            self.notify(
                f"today's spend ${status.spent_today_usd:.4f} is past the warn threshold "
                f"${status.warn_threshold_usd:.2f}",
                severity="warning",
            )
        if status.level == "stop" and before != "stop":
            self.push_screen(
                BudgetStopScreen(
                    f"Today's spend ${status.spent_today_usd:.4f} reached "
                    f"cost.stop_threshold_usd (${status.stop_threshold_usd:.2f})."
                )
            )

    # -- review ---------------------------------------------------------------------------
    @on(DataTable.RowHighlighted)
    def _highlighted(self, _: DataTable.RowHighlighted) -> None:
        self._refresh_diff(force=True)

    def _refresh_diff(self, force: bool = False) -> None:
        from mom_cli.service.review import step_diff

        step_id = self.plan.selected_id
        row = self.state.steps.get(step_id or "")
        panel = self.diff
        if row is None or self.ws is None:
            return
        shown = (row.record_id, row.status, row.review, len(row.failures), len(row.escalations))
        if not force and panel.shown == shown:
            return
        diff = ""
        if row.record_id and row.review != "rejected":
            try:
                diff = step_diff(self.ws.repo, row.record_id)
            except Exception as exc:  # a record mid-write: show why, try again on next tick
                diff = f"(diff unavailable: {exc})"
        panel.show_step(row, diff)
        panel.shown = shown

    def _decide(self, step_ids: list[str], accept: bool) -> None:
        from mom_cli.service import review

        assert self.ws is not None
        chosen = [self.state.steps[s] for s in step_ids if s in self.state.steps]
        rows = [r for r in chosen if r.review in UNDECIDED]
        if not rows:
            self.log_line(f"✗ {not_held(chosen[0] if len(chosen) == 1 else None)}")
            return
        ids = [r.record_id for r in rows]
        if accept:
            decisions = review.accept_all(self.ws.repo, ids)
        else:
            decisions = review.reject_all(self.ws.repo, ids)
        by_id = {r.record_id: r for r in rows}
        for d in decisions:
            by_id[d.record_id].review = d.action
            self.log_line(f"{'✓' if d.action != 'refused' else '✗'} {d.action}: {d.message}")
            if d.action == "refused":
                self.log_line(
                    "  your edits are kept: undo them and press r again, or a to keep both"
                )
        self.state.version += 1
        self.plan.refresh_from(self.state)
        self._refresh_diff(force=True)

    def action_accept(self) -> None:
        self._decide([self.plan.selected_id or ""], True)

    def action_reject(self) -> None:
        self._decide([self.plan.selected_id or ""], False)

    def action_accept_all(self) -> None:
        self._decide([r.task_id for r in self.state.held], True)

    def action_reject_all(self) -> None:
        self._decide([r.task_id for r in self.state.held], False)

    def action_focus_plan(self) -> None:
        self.plan.focus()

    def action_focus_request(self) -> None:
        self.request_box.focus()

    # -- control --------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The error screen that stops the session offers only quitting: its footer listed
        the main screen's Cancel run, Accept and Reject, which have nothing to act on."""
        return not (action in MAIN_SCREEN_ACTIONS and isinstance(self.screen, ErrorScreen))

    def action_cancel_run(self) -> None:
        """Ctrl+C cancels everything running: an editing run rolls back its in-flight
        steps; /ask's model call stops (the embedded model mid-decode)."""
        if not self.tokens:
            running = "nothing to cancel" if self.busy else "nothing is running"
            self.notify(f"{running} (Ctrl+Q quits)")
            return
        for token in self.tokens:
            token.cancel()
        if self.token is not None:
            self.log_line("■ cancelling: in-flight steps will be rolled back")
        else:
            self.log_line("■ cancelling")

    async def action_quit(self) -> None:
        if self.startup_error:
            self.exit(return_code=ExitCode.USAGE)
            return
        if not self.busy and self.state.held:
            self.push_screen(ConfirmQuit(*held_on_quit(len(self.state.held))), self._quit_held)
            return
        if not self.busy:
            self.exit(return_code=0)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.quit_pending = True
                for token in self.tokens:
                    token.cancel()
                self.log_line("■ quitting after the run is cancelled and rolled back")

        self.push_screen(ConfirmQuit(), answered)

    def _quit_held(self, yes: bool | None) -> None:
        if yes:
            self.exit(return_code=0)


def _hint(problem: str) -> str:
    if "git" in problem:
        return "Run mom inside a git repository, or pass one: mom tui --repo PATH"
    if "config" in problem.lower() or ".toml" in problem:
        return "Fix the file named above, or check it with: mom config show"
    return ""


def open_app(repo: Path | None, config: Path | None, **kwargs: Any) -> MomApp:
    """The app for `repo`, or one that opens on the error screen naming the problem.

    Only the repository is resolved here (cheap); the config loads in a worker after the
    first paint, and a broken one opens the error screen then."""
    from mom_cli.errors import MomError
    from mom_cli.paths import resolve_repo

    try:
        root = resolve_repo(repo, require_git=True)
    except MomError as exc:
        return MomApp(None, startup_error=str(exc), **kwargs)
    return MomApp(None, repo=root, config_path=config, **kwargs)
