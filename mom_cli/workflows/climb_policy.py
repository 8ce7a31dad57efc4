"""Climb once: which rungs a fix-build step should not even try.

The ledger keeps every call's verdict ("validated" / "failed_validation") and, for
fix-build, the kind of fix it was for (category "fix:tests", "fix:syntax" …), across runs.
From that record:

- a model with no validated edit of this kind is skipped after its first failure in the
  run (one more step will not be the one where it starts working);
- a model whose record for this kind is only failures (MAX_FAILED_ON_RECORD or more, no
  validated one) is skipped from the start;
- the embedded model is not asked to fix a failing test unless its record shows a
  validated one: a 135M model has never produced such an edit.

A model with any validated edit of the kind is always kept: its failures may be bad luck.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from mom_cli.config import MomConfig
from mom_cli.ledger.store import Ledger
from mom_cli.routing.ladder import Rung

MAX_FAILED_ON_RECORD = 3
NO_RECORD_KINDS_FOR_EMBEDDED = frozenset({"tests"})


class ClimbPolicy:
    """One run's view of the record, updated as its steps pass and fail."""

    def __init__(self, config: MomConfig, ledger: Ledger | None) -> None:
        self.config = config
        self.ledger = ledger
        self._record: dict[str, dict[str, tuple[int, int]]] = {}
        self._failed: set[tuple[str, str]] = set()
        self._passed: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self.skipped: list[str] = []  # one line per skip, for the report

    def record(self, kind: str) -> dict[str, tuple[int, int]]:
        """model → (validated, failed) edits of `kind` on record before this run."""
        if kind not in self._record:
            self._record[kind] = self.ledger.verdicts(f"fix:{kind}") if self.ledger else {}
        return self._record[kind]

    def why_skip(self, rung: Rung, kind: str) -> str:
        validated, failed = self.record(kind).get(rung.model, (0, 0))
        if validated or (rung.model, kind) in self._passed:
            return ""
        if (rung.model, kind) in self._failed:
            return (
                f"{rung.model} failed a {kind} fix earlier in this run and has no validated "
                f"{kind} fix on record"
            )
        if failed >= MAX_FAILED_ON_RECORD:
            return f"{rung.model}: {failed} failed {kind} fixes on record and none validated"
        if kind in NO_RECORD_KINDS_FOR_EMBEDDED and self._embedded(rung.model):
            return f"{rung.model}: the embedded model has no validated {kind} fix on record"
        return ""

    def _embedded(self, model: str) -> bool:
        """The local tier's in-process model (not a server, not a stand-in elsewhere)."""
        cfg = self.config.models.get(model)
        provider = self.config.providers.get(cfg.provider) if cfg else None
        return (
            cfg is not None
            and cfg.tier == "local"
            and provider is not None
            and (provider.kind == "embedded")
        )

    def skipper(self, kind: str) -> Callable[[Rung], str]:
        def skip(rung: Rung) -> str:
            with self._lock:
                why = self.why_skip(rung, kind)
                if why:
                    self.skipped.append(why)
                return why

        return skip

    def observer(self, kind: str) -> Callable[[Rung, bool], None]:
        def seen(rung: Rung, ok: bool) -> None:
            with self._lock:
                (self._passed if ok else self._failed).add((rung.model, kind))

        return seen
