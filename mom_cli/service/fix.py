"""`fix_build`: make build, tests and lint pass (rules first, then the model ladder).

Holds the repo lock unless it is a dry run. A cancelled fix-build leaves every step it
had applied rolled back by the workflow's own step checkpoints; steps of this run that a
cancel caught after their apply are rolled back here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mom_cli.events import EventSink, Notice, null_sink
from mom_cli.service.cancel import Cancelled, CancelToken, run_async
from mom_cli.service.locking import repo_lock

if TYPE_CHECKING:
    from mom_cli.service.workspace import Workspace
    from mom_cli.workflows.fix_report import FixBuildResult


def fix_build(
    ws: Workspace,
    *,
    sink: EventSink = null_sink,
    token: CancelToken | None = None,
    dry_run: bool = False,
    max_tier: str | None = None,
    lint: str = "changed",
) -> FixBuildResult | None:
    """The workflow's result, or None when cancelled (its in-flight steps rolled back)."""
    from mom_cli.edits.checkpoint import CheckpointStore, current_run

    with repo_lock(ws.repo, "fix-build", enabled=not dry_run):
        try:
            return run_async(_run(ws, sink, dry_run, max_tier, lint), token)
        except Cancelled:
            run_id = current_run().run_id
            _roll_back_run(CheckpointStore(ws.repo), run_id, sink)
            return None


async def _run(
    ws: Workspace, sink: EventSink, dry_run: bool, max_tier: str | None, lint: str
) -> FixBuildResult:
    from mom_cli.ledger.store import Ledger
    from mom_cli.providers.pool import ProviderPool
    from mom_cli.workflows.fix_build import FixBuild

    ledger = Ledger()
    pool = ProviderPool(ws.config, ledger, sink)
    try:
        flow = FixBuild(
            ws.repo, ws.config, caller=pool, ledger=ledger, sink=sink, max_tier=max_tier, lint=lint
        )
        return await flow.run(dry_run=dry_run)
    finally:
        await pool.aclose()


def _roll_back_run(store: object, run_id: str, sink: EventSink) -> None:
    """Undo this run's steps still applied or applying, newest first."""
    from mom_cli.edits.checkpoint import CheckpointStore
    from mom_cli.errors import MomError

    assert isinstance(store, CheckpointStore)
    for record in reversed(store.steps()):
        if record.run_id != run_id or record.status not in ("applying", "applied"):
            continue
        try:
            store.rollback(record.id)
            sink(Notice(f"cancelled: rolled back {', '.join(record.paths)}"))
        except MomError as exc:
            sink(Notice(f"cancelled: could not roll back {record.id}: {exc}", "warning"))
