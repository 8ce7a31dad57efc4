"""`milestone`: carry a plan-file milestone to validated code, item by item.

The runner takes the repo lock itself. Before the items run, a ChecklistLoaded event
carries the checklist so a front end can tick it live from the item events.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Literal

from mom_cli.events import ChecklistLoaded, EventSink, null_sink
from mom_cli.service.cancel import CancelToken, run_async

if TYPE_CHECKING:
    from mom_cli.service.workspace import Workspace
    from mom_cli.workflows.milestone.report import RunReport


def milestone(
    ws: Workspace,
    number: int,
    *,
    sink: EventSink = null_sink,
    token: CancelToken | None = None,
    dry_run: bool = False,
    stale: Literal["error", "resume", "discard"] = "error",
    test_first: bool = False,
) -> RunReport:
    """Run (or plan) milestone `number`. Raises Cancelled when the token stops it (the
    runner marks the run interrupted; `mom milestone N --resume` continues it)."""
    from mom_cli.ledger.store import Ledger
    from mom_cli.providers.pool import ProviderPool
    from mom_cli.workflows.milestone.runner import MilestoneRunner

    ledger = Ledger()
    pool = ProviderPool(ws.config, ledger=ledger, sink=sink)
    runner = MilestoneRunner(ws.repo, ws.config, pool, ledger=ledger, sink=sink)
    _announce(runner, number, sink)
    if dry_run:
        return run_async(_closing(runner.dry_run(number), pool), token)
    return run_async(_closing(runner.run(number, stale=stale, test_first=test_first), pool), token)


async def _closing(work: Coroutine[Any, Any, RunReport], pool: Any) -> RunReport:
    """The pool's HTTP clients are closed on the loop that opened them (a client left
    for the garbage collector would try to close on a loop that no longer exists)."""
    try:
        return await work
    finally:
        await pool.aclose()


def _announce(runner: object, number: int, sink: EventSink) -> None:
    """The checklist as the plan file has it (a generated one is announced by the runner)."""
    from mom_cli.errors import MomError
    from mom_cli.workflows.milestone.runner import MilestoneRunner

    assert isinstance(runner, MilestoneRunner)
    try:
        _, ms = runner.load(number)
    except MomError:
        return  # the run itself reports it with the right exit code
    items = tuple((it.index, it.text, "done" if it.done else "pending") for it in ms.items)
    sink(ChecklistLoaded(number, ms.title, items))
