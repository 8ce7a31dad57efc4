"""From engine threads to the UI: events queue here and the app drains them in batches.

A worker thread's sink only appends to a deque (cheap, thread-safe); the app drains it
on a timer, so a burst of thousands of events costs one redraw per tick, not one per
event, and key presses are never stuck behind the event stream.
"""

from __future__ import annotations

from collections import deque

from mom_cli.events import Event

MAX_BATCH = 5000


class EventPump:
    def __init__(self) -> None:
        self._queue: deque[Event] = deque()
        self.received = 0
        self.drained = 0

    def __call__(self, event: Event) -> None:
        """The EventSink handed to the service layer (called from any thread)."""
        self._queue.append(event)
        self.received += 1

    def drain(self, limit: int = MAX_BATCH) -> list[Event]:
        out: list[Event] = []
        queue = self._queue
        while queue and len(out) < limit:
            out.append(queue.popleft())
        self.drained += len(out)
        return out

    @property
    def backlog(self) -> int:
        return len(self._queue)
