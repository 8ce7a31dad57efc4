#!/usr/bin/env python
"""How long a cancel takes to stop the embedded model in the middle of prompt prefill.

Three figures on the real embedded model (SmolLM2-135M via llama-cpp-python), each with a
long prompt (~1,200 tokens; prefill runs a minute on a busy 2-core machine):

1. service: `ask` in a worker thread, as the TUI runs it; its CancelToken is set ~1 s
   after the call starts. Time from the cancel to `ask` raising Cancelled; then a short
   request on the same process must answer (the model survived the abort).
2. cli: `mom ask` as a subprocess, sent SIGINT (Ctrl+C) ~1 s after the model is loaded.
   Time from the signal to the process's exit (code 130 expected).
3. prefill: the same long request left to finish (max_tokens=1): what a cancel used to wait for.

Cancels are repeated (--runs, default 3) and medians quoted. Prints a small table, then one
JSON line. Uses a throwaway MOM_HOME and git repo. Usage:
.venv/bin/python scripts/bench_embedded_cancel.py [--runs N] [--words N] [--skip-cli]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ["MOM_HOME"] = tempfile.mkdtemp(prefix="mom-bench-")

from mom_cli.service.cancel import Cancelled, CancelToken  # noqa: E402
from mom_cli.service.workspace import Workspace  # noqa: E402

MODEL = "smollm2"
CANCEL_AFTER = 1.0


def workspace() -> Workspace:
    repo = Path(tempfile.mkdtemp(prefix="mom-bench-repo-"))
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return Workspace.open(repo)


def long_prompt(words: int) -> str:
    return "Summarise this text in one line: " + "word " * words


def cancelled_ask(ws: Workspace, prompt: str) -> tuple[float, str]:
    """Seconds from token.cancel() to ask() returning, and how it returned."""
    from mom_cli.service.ask import ask

    token = CancelToken()
    outcome: list[str] = []

    def call() -> None:
        try:
            ask(ws, prompt, token=token, model=MODEL, max_tokens=8)
            outcome.append("answered")
        except Cancelled:
            outcome.append("Cancelled")
        except Exception as exc:  # reported in the table, not hidden
            outcome.append(type(exc).__name__)

    worker = threading.Thread(target=call)
    worker.start()
    time.sleep(CANCEL_AFTER)
    started = time.perf_counter()
    token.cancel()
    worker.join()
    return time.perf_counter() - started, outcome[0]


def answers_after(ws: Workspace) -> bool:
    from mom_cli.service.ask import ask

    result = ask(ws, "Say hi.", model=MODEL, max_tokens=8)
    return bool(result.completion.content.strip())


def timed_prefill(ws: Workspace, prompt: str) -> tuple[float, int]:
    from mom_cli.service.ask import ask

    started = time.perf_counter()
    result = ask(ws, prompt, model=MODEL, max_tokens=1)
    return time.perf_counter() - started, result.completion.input_tokens


def interrupted_cli(ws: Workspace, prompt: str) -> tuple[float, int]:
    """Seconds from SIGINT to the exit of `mom ask`, and its exit code. The signal goes
    CANCEL_AFTER seconds after a marker the child prints once the model is loaded."""
    child = (  # SIGINT as a terminal delivers it: a background parent may have ignored it
        "import signal, sys, mom_cli.providers.embedded as e\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "from mom_cli.cli.app import app\n"
        "orig = e._load\n"
        "def load(*a):\n"
        "    llama = orig(*a)\n"
        "    print('loaded', file=sys.stderr, flush=True)\n"
        "    return llama\n"
        "e._load = load\n"
        "app(prog_name='mom')\n"
    )
    cmd = [sys.executable, "-c", child, "ask", "--repo", str(ws.repo), "--model", MODEL]
    proc = subprocess.Popen(
        [*cmd, "--max-tokens", "8", prompt],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.strip() == "loaded":
            break
    time.sleep(CANCEL_AFTER)
    started = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    proc.stderr.read()
    code = proc.wait()
    return time.perf_counter() - started, code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--words", type=int, default=1200)
    parser.add_argument("--skip-cli", action="store_true")
    args = parser.parse_args()

    ws = workspace()
    prompt = long_prompt(args.words)
    answers_after(ws)  # loads the model once, so the timings below are decode only
    service = [cancelled_ask(ws, prompt) for _ in range(args.runs)]
    survived = answers_after(ws)
    cli = [] if args.skip_cli else [interrupted_cli(ws, prompt) for _ in range(args.runs)]
    prefill, prompt_tokens = timed_prefill(ws, prompt)

    report: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "service_cancel_s": [round(s, 3) for s, _ in service],
        "service_cancel_median_s": round(statistics.median(s for s, _ in service), 3),
        "service_outcomes": sorted({o for _, o in service}),
        "next_request_answers": survived,
        "prefill_s": round(prefill, 2),
    }
    if cli:
        report["cli_sigint_s"] = [round(s, 3) for s, _ in cli]
        report["cli_sigint_median_s"] = round(statistics.median(s for s, _ in cli), 3)
        report["cli_exit_codes"] = sorted({c for _, c in cli})

    print(f"embedded cancel during prefill ({prompt_tokens} prompt tokens, cancel after 1 s)")
    print(f"{'path':<28}{'median s':>10}  runs")
    print(f"{'service ask → Cancelled':<28}{report['service_cancel_median_s']:>10.3f}  "
          f"{report['service_cancel_s']} {report['service_outcomes']}")  # fmt: skip
    if cli:
        print(f"{'mom ask, SIGINT → exit':<28}{report['cli_sigint_median_s']:>10.3f}  "
              f"{report['cli_sigint_s']} exit {report['cli_exit_codes']}")  # fmt: skip
    print(f"{'uncancelled prefill':<28}{prefill:>10.2f}  1 run")
    print(f"next request after the aborts answers: {survived}")
    print(json.dumps({**report, "loadavg": round(os.getloadavg()[0], 1)}))


if __name__ == "__main__":
    main()
