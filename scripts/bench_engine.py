#!/usr/bin/env python
"""Engine benchmarks: routing overhead, executor efficiency, routing cost on the task mix.

    .venv/bin/python scripts/bench_engine.py [--dags 10] [--reps 5] [--with-ollama]

1. Analyzer + selector overhead per request on the deterministic path (target ≤ 1 ms median).
2. FanOutExecutor on random 50-step DAGs with simulated latencies: wall time against the
   critical-path bound (target ≤ 1.05× when concurrency allows) and the speedup over
   running the steps one after another.
3. The cost of routing scripts/data/task_mix.jsonl (200+ labelled requests) against
   sending every step to the top tier, from the config's price table, with the split of
   steps per tier and how often the analyzer agrees with the labels.

Prints a table, then one JSON line with every figure. Costs are estimates from token
estimates × prices (labelled so); nothing here calls a model.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from mom_cli.config import MomConfig, load_config
from mom_cli.engine.executor import FanOutExecutor, StepResult
from mom_cli.engine.graph import SubTask, TaskGraph
from mom_cli.providers.base import Availability
from mom_cli.routing.analyzer import RequestAnalyzer
from mom_cli.routing.decomposer import deterministic, single_task
from mom_cli.routing.selector import ModelSelector, StepProfile

MIX = Path(__file__).parent / "data" / "task_mix.jsonl"
TIER_ORDER = ["local", "groq", "deepseek", "haiku", "sonnet"]


class HereCaller:
    """Availability as on a machine with keys for every cloud tier and no Ollama server."""

    def __init__(self, with_ollama: bool) -> None:
        self.down = set() if with_ollama else {"ollama-coder"}

    def availability(self, model: str) -> Availability:
        return Availability(model not in self.down, "no server" if model in self.down else "")

    def in_flight(self, model: str) -> int:
        return 0


def profile_of(task: SubTask, upstream_out: int = 0) -> StepProfile:
    return StepProfile(
        task.category,
        task.complexity,
        task.quality,
        task.task_type,
        input_tokens=task.estimated_tokens + upstream_out + 60,
    )


def route(
    analyzer: RequestAnalyzer, selector: ModelSelector, text: str
) -> list[tuple[SubTask, str]]:
    """Deterministic path: analyze, split, select each step. Returns (step, model)."""
    plan = analyzer.analyze(text)
    decomp = (
        deterministic(text, plan, source="x")
        if plan.kind == "compiled"
        else single_task(text, plan)
    )
    outs = {t.id: StepProfile(complexity=t.complexity).expected_output for t in decomp.subtasks}
    routed = []
    for task in decomp.subtasks:
        up = sum(outs[d] for d in task.depends_on)
        routed.append((task, selector.select(profile_of(task, up)).model))
    return routed


def bench_overhead(
    cfg: MomConfig, mix: list[dict[str, str]], reps: int, caller: HereCaller
) -> dict[str, float]:
    analyzer, selector = RequestAnalyzer(cfg), ModelSelector(cfg, caller)  # type: ignore[arg-type]
    times = []
    for _ in range(reps):
        for row in mix:
            start = time.perf_counter()
            route(analyzer, selector, row["text"])
            times.append((time.perf_counter() - start) * 1e6)
    times.sort()
    return {
        "median_us": round(statistics.median(times), 1),
        "p95_us": round(times[int(len(times) * 0.95)], 1),
        "samples": len(times),
    }


def random_dag(n: int, rng: random.Random) -> tuple[list[SubTask], dict[str, float]]:
    tasks, weights = [], {}
    for i in range(n):
        k = min(i, rng.randint(0, 3))
        deps = tuple(
            f"s{j}" for j in rng.sample(range(max(0, i - 12), i), k=min(k, i - max(0, i - 12)))
        )
        ms = rng.randint(10, 60)
        tasks.append(SubTask(f"s{i}", "x", depends_on=deps, estimated_tokens=ms))
        weights[f"s{i}"] = ms / 1000
    return tasks, weights


async def _sim_step(task: SubTask, upstream: Mapping[str, StepResult]) -> StepResult:
    await asyncio.sleep(task.estimated_tokens / 1000)
    return StepResult(task.id, True, "ok")


def bench_executor(dags: int, seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    rows = []
    for _ in range(dags):
        tasks, weights = random_dag(50, rng)
        cp = TaskGraph(tasks).critical_path(weights)[1]
        total = sum(weights.values())
        for limit in (64, 4):
            graph = TaskGraph(tasks)
            start = time.perf_counter()
            asyncio.run(FanOutExecutor(limit).run(graph, _sim_step))
            wall = time.perf_counter() - start
            bound = max(cp, total / limit)
            rows.append({"limit": limit, "wall": wall, "cp": cp, "bound": bound, "seq": total})
    out: dict[str, object] = {}
    for limit in (64, 4):
        rs = [r for r in rows if r["limit"] == limit]
        ratios = [r["wall"] / r["bound"] for r in rs]
        out[f"c{limit}"] = {
            "median_ratio_to_bound": round(statistics.median(ratios), 3),
            "max_ratio_to_bound": round(max(ratios), 3),
            "median_speedup_vs_sequential": round(
                statistics.median(r["seq"] / r["wall"] for r in rs), 2
            ),
            "median_critical_path_s": round(statistics.median(r["cp"] for r in rs), 3),
        }
    return out


def bench_cost(cfg: MomConfig, mix: list[dict[str, str]], caller: HereCaller) -> dict[str, object]:
    analyzer, selector = RequestAnalyzer(cfg), ModelSelector(cfg, caller)  # type: ignore[arg-type]
    top = cfg.top_tier_model()
    assert top is not None
    routed_cost = top_cost = 0.0
    tiers: Counter[str] = Counter()
    agree = Counter[str]()
    for row in mix:
        plan = analyzer.analyze(row["text"])
        agree["plan"] += plan.kind == row["plan"]
        agree["category"] += plan.category == row["category"]
        if row["plan"] == "passthrough":
            agree["complexity_n"] += 1
            agree["complexity"] += plan.complexity == row["complexity"]
        routed = route(analyzer, selector, row["text"])
        step_tiers = []
        for task, model in routed:
            m = cfg.models[model]
            p = profile_of(task)
            copies = 3 if plan.kind == "compete" else 1
            routed_cost += m.cost_usd(p.input_tokens, p.expected_output) * copies
            top_cost += top.cost_usd(p.input_tokens, p.expected_output)
            tiers[m.tier] += 1
            step_tiers.append(m.tier)
        highest = max(step_tiers, key=TIER_ORDER.index)
        agree["tier"] += highest == row["tier"]
        agree["tier_within_one"] += (
            abs(TIER_ORDER.index(highest) - TIER_ORDER.index(row["tier"])) <= 1
        )
    n = len(mix)
    return {
        "requests": n,
        "steps": sum(tiers.values()),
        "steps_per_tier": {t: tiers.get(t, 0) for t in TIER_ORDER if tiers.get(t)},
        "routed_cost_usd_estimate": round(routed_cost, 4),
        "all_top_tier_cost_usd_estimate": round(top_cost, 4),
        "saving_pct": round(100 * (1 - routed_cost / top_cost), 1) if top_cost else 0.0,
        "agreement_pct": {
            "plan": round(100 * agree["plan"] / n, 1),
            "category": round(100 * agree["category"] / n, 1),
            "complexity_passthrough": round(
                100 * agree["complexity"] / max(1, agree["complexity_n"]), 1
            ),
            "tier_exact": round(100 * agree["tier"] / n, 1),
            "tier_within_one_rung": round(100 * agree["tier_within_one"] / n, 1),
        },
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dags", type=int, default=10)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--with-ollama", action="store_true")
    args = ap.parse_args(argv)
    cfg = load_config(environ={}).config
    mix = [
        json.loads(line) for line in MIX.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    caller = HereCaller(args.with_ollama)
    overhead = bench_overhead(cfg, mix, args.reps, caller)
    executor = bench_executor(args.dags, args.seed)
    cost = bench_cost(cfg, mix, caller)
    c64, c4 = executor["c64"], executor["c4"]
    split = cost["steps_per_tier"]
    assert isinstance(split, dict)
    assert isinstance(c64, dict) and isinstance(c4, dict)
    lines = [
        (
            "analyzer+selector median / p95",
            f"{overhead['median_us']} µs / {overhead['p95_us']} µs",
            "≤ 1000 µs median",
        ),
        (
            "executor wall / critical path (c=64)",
            f"{c64['median_ratio_to_bound']}× median, {c64['max_ratio_to_bound']}× max",
            "≤ 1.05×",
        ),
        ("executor speedup vs sequential (c=64)", f"{c64['median_speedup_vs_sequential']}×", ""),
        ("executor wall / max(cp, work/4) (c=4)", f"{c4['median_ratio_to_bound']}× median", ""),
        ("executor speedup vs sequential (c=4)", f"{c4['median_speedup_vs_sequential']}×", ""),
        ("task mix", f"{cost['requests']} requests, {cost['steps']} steps", "≥ 200"),
        ("steps per tier", ", ".join(f"{k} {v}" for k, v in split.items()), ""),
        ("routed cost (estimate)", f"${cost['routed_cost_usd_estimate']}", ""),
        ("all-top-tier cost (estimate)", f"${cost['all_top_tier_cost_usd_estimate']}", ""),
        ("saving vs all-top-tier", f"{cost['saving_pct']}%", ""),
        ("analyzer agreement with labels", json.dumps(cost["agreement_pct"]), ""),
    ]
    width = max(len(a) for a, _, _ in lines)
    for name, value, target in lines:
        print(f"{name:<{width}}  {value}" + (f"   (target {target})" if target else ""))
    print(json.dumps({"overhead": overhead, "executor": executor, "routing_cost": cost}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
