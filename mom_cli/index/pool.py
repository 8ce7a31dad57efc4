"""Parse files on every core: largest first, in batches big enough to amortise the IPC.

Small jobs (an edit, a few new files) stay in-process, where a pool's start-up would cost
more than the parse. The pool modules are imported only when a pool is used.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from mom_cli.index.languages import load
from mom_cli.index.parse import Parsed, parse_batch

if TYPE_CHECKING:
    import multiprocessing.context

POOL_THRESHOLD = 48  # fewer files than this are parsed in-process
BATCHES_PER_WORKER = 6  # enough to balance the tail, few enough to keep IPC rare
MIN_BATCH_BYTES = 200_000

Job = tuple[str, str, int, int, str]  # path, language, mtime_ns, size, known hash


def parse_all(root: str, jobs: list[Job], workers: int | None) -> Iterator[Parsed]:
    """Parse results in batch order (not job order); in-process for small jobs."""
    count = workers if workers is not None else (os.cpu_count() or 1)
    if len(jobs) < POOL_THRESHOLD or count <= 1:
        yield from parse_batch(root, jobs)
        return
    from concurrent.futures import ProcessPoolExecutor

    batches = make_batches(jobs, count)
    context = _context()
    if context.get_start_method() == "fork":  # compiled once here, inherited by every worker
        for language in sorted({job[1] for job in jobs}):
            load(language)
    with ProcessPoolExecutor(max_workers=min(count, len(batches)), mp_context=context) as pool:
        futures = [pool.submit(parse_batch, root, batch) for batch in batches]
        for future in futures:
            yield from future.result()


def make_batches(jobs: list[Job], workers: int) -> list[list[Job]]:
    """Largest files first, packed into about BATCHES_PER_WORKER batches per worker."""
    total = sum(job[3] for job in jobs)
    target = max(MIN_BATCH_BYTES, total // (workers * BATCHES_PER_WORKER))
    batches: list[list[Job]] = []
    current: list[Job] = []
    weight = 0
    for job in sorted(jobs, key=lambda j: -j[3]):
        current.append(job)
        weight += job[3]
        if weight >= target:
            batches.append(current)
            current, weight = [], 0
    if current:
        batches.append(current)
    return batches


def _context() -> multiprocessing.context.BaseContext:
    """fork is the cheapest start, but only safe while this process has one thread."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")
