"""Prometheus text exposition for `GET /metrics`, without a client library.

Counters and histograms keyed by label tuples; labels are config names (tier, model,
strategy, error type), never tokens or client ids. With --workers N, one port serves N
processes and a scrape reaches any one of them, so each worker publishes a snapshot of its
counts to a shared directory (every second and on each scrape) and `/metrics` renders the
sum over all workers (as prometheus_client's multiprocess mode does; a worker's figures
are at most a second old). Counts of workers that exited stay in the sum: counters never
go backwards.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
Labels = tuple[tuple[str, str], ...]


def _fmt(labels: Labels, extra: tuple[tuple[str, str], ...] = ()) -> str:
    items = labels + extra
    if not items:
        return ""
    inner = ",".join(
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in items
    )
    return "{" + inner.replace("\n", " ") + "}"


class Histogram:
    def __init__(self) -> None:
        self.counts = [0] * (len(BUCKETS) + 1)
        self.total = 0.0
        self.n = 0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(BUCKETS, value)] += 1
        self.total += value
        self.n += 1


class Metrics:
    def __init__(self) -> None:
        self.counters: dict[str, dict[Labels, float]] = defaultdict(lambda: defaultdict(float))
        self.histograms: dict[str, dict[Labels, Histogram]] = defaultdict(dict)
        self.help: dict[str, str] = {}

    def inc(self, name: str, amount: float = 1.0, /, **labels: str) -> None:
        self.counters[name][tuple(sorted(labels.items()))] += amount

    def observe(self, name: str, value: float, /, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        series = self.histograms[name]
        hist = series.get(key)
        if hist is None:
            hist = series[key] = Histogram()
        hist.observe(value)

    def snapshot(self) -> dict[str, Any]:
        """Everything counted so far, as JSON-able data (for the other workers)."""
        return {
            "counters": {
                name: [[list(map(list, labels)), value] for labels, value in series.items()]
                for name, series in self.counters.items()
            },
            "histograms": {
                name: [[list(map(list, labels)), h.counts, h.total, h.n] for labels, h in s.items()]
                for name, s in self.histograms.items()
            },
        }

    def add(self, snap: dict[str, Any]) -> None:
        """Add another worker's snapshot to these counts."""
        for name, series in snap.get("counters", {}).items():
            for labels, value in series:
                self.counters[name][tuple(tuple(p) for p in labels)] += float(value)
        for name, series in snap.get("histograms", {}).items():
            for labels, counts, total, n in series:
                key = tuple(tuple(p) for p in labels)
                hist = self.histograms[name].setdefault(key, Histogram())
                if len(counts) != len(hist.counts):
                    continue  # another version's buckets: cannot be summed
                hist.counts = [a + b for a, b in zip(hist.counts, counts, strict=True)]
                hist.total += float(total)
                hist.n += int(n)

    def render(self) -> str:
        out: list[str] = []
        for name in sorted(self.counters):
            out.append(f"# HELP {name} {HELP.get(name, name)}")
            out.append(f"# TYPE {name} counter")
            for labels, value in sorted(self.counters[name].items()):
                out.append(f"{name}{_fmt(labels)} {value:g}")
        for name in sorted(self.histograms):
            out.append(f"# HELP {name} {HELP.get(name, name)}")
            out.append(f"# TYPE {name} histogram")
            for labels, hist in sorted(self.histograms[name].items()):
                running = 0
                for bound, count in zip((*BUCKETS, float("inf")), hist.counts, strict=True):
                    running += count
                    le = "+Inf" if bound == float("inf") else f"{bound:g}"
                    out.append(f"{name}_bucket{_fmt(labels, (('le', le),))} {running}")
                out.append(f"{name}_sum{_fmt(labels)} {hist.total:.6f}")
                out.append(f"{name}_count{_fmt(labels)} {hist.n}")
        return "\n".join(out) + "\n"


HELP = {
    "mom_gateway_requests_total": "Chat requests by requested model name and HTTP status.",
    "mom_gateway_request_seconds": "Whole-request latency by strategy (mom, compete, direct).",
    "mom_gateway_errors_total": "Error responses by OpenAI error type.",
    "mom_gateway_upstream_calls_total": "Upstream model calls by tier, model and outcome.",
    "mom_gateway_upstream_seconds": "Upstream call latency by tier and model.",
    "mom_gateway_tokens_total": "Upstream tokens by tier, model and direction (in/out).",
    "mom_gateway_cost_usd_total": "Upstream spend in USD by tier and model (from the ledger).",
}


class SharedMetrics:
    """This worker's snapshot file in a directory all workers share, and their sum."""

    def __init__(self, directory: str | Path, metrics: Metrics) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.metrics = metrics
        self.own = self.directory / f"{os.getpid()}.json"

    def publish(self) -> None:
        tmp = self.own.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.metrics.snapshot()), encoding="utf-8")
        os.replace(tmp, self.own)  # readers never see half a file

    def combined(self) -> Metrics:
        """This worker's live counts plus every other worker's last snapshot."""
        self.publish()
        total = Metrics()
        total.add(self.metrics.snapshot())
        for path in sorted(self.directory.glob("*.json")):
            if path == self.own:
                continue
            with contextlib.suppress(OSError, ValueError):
                total.add(json.loads(path.read_text(encoding="utf-8")))
        return total
