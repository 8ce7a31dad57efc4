"""Failing tests → root causes: which traced failures are one fix-build step.

Grouped by the project frames they share first (the function that raised), and only
failures without a frame fall back to the test file they fail in (see group_traces).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.workflows.trace_targets import Span, Trace

MAX_TARGETS = 4
MAX_TESTS = 3


def group_traces(
    traces: Sequence[tuple[Diagnostic, Trace]],
) -> list[tuple[list[Diagnostic], Trace]]:
    """One group per root cause.

    1. Failures with project frames group by the function that raised (their innermost
       frame), and a group whose raising function is on another failure's stack takes
       that failure in too (`Cache.__setitem__` raising, or calling a `popitem` that
       raises: one fix), as does the group of the function it is defined in (jaraco's
       `compose.compose_two` and `compose`). Two mixin tests in one test module that
       fail in two different functions are two groups.
    2. A failure with no frame (a wrong value) joins the framed group whose code it
       reaches (a target span overlaps), else the only framed group failing in its test
       file.
    3. The rest group as before: the same source file or the same test file (a parser's
       tests and those of the class built on it).
    """
    framed_traces = [(d, t) for d, t in traces if t.how == "frames" and t.targets]
    parent = {t.targets[0]: t.targets[0] for _, t in framed_traces}

    def root(key: Span) -> Span:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for _, trace in framed_traces:
        for span in trace.targets[1:]:
            if span in parent:
                parent[root(trace.targets[0])] = root(span)
    for inner in list(parent):  # a function defined inside another raised: one fix
        outer = next((k for k in parent if k != inner and _nested_in(inner, k)), None)
        if outer is not None and root(inner) != root(outer):
            parent[root(inner)] = root(outer)
    framed: dict[Span, _Group] = {}
    for diag, trace in framed_traces:
        key = root(trace.targets[0])
        framed.setdefault(key, _Group(key, [], [])).add(diag, trace)
    loose: list[_Group] = []
    for diag, trace in traces:
        if trace.how == "frames" and trace.targets:
            continue
        home = _home(list(framed.values()), diag, trace)
        if home is not None:
            home.add(diag, trace)
            continue
        files = {s.file for s in trace.targets} | {diag.file}
        hits = [g for g in loose if g.files() & files]
        if not hits:
            loose.append(_Group(None, [diag], [trace]))
            continue
        hits[0].add(diag, trace)
        for other in hits[1:]:
            hits[0].diags += other.diags
            hits[0].traces += other.traces
            loose.remove(other)
    return [(g.diags, g.combined()) for g in [*framed.values(), *loose]]


@dataclass
class _Group:
    key: Span | None  # the raising function, for a framed group
    diags: list[Diagnostic]
    traces: list[Trace]

    def add(self, diag: Diagnostic, trace: Trace) -> None:
        self.diags.append(diag)
        self.traces.append(trace)

    def files(self) -> set[str]:
        return {s.file for t in self.traces for s in t.targets} | {d.file for d in self.diags}

    def combined(self) -> Trace:
        """The member traces in one: targets ranked by how many failures' frames name
        them, then how many raised there, then how many failures reach them otherwise
        (the most specific first when some must go), capped."""
        framed: Counter[Span] = Counter()
        raised: Counter[Span] = Counter()  # the innermost frame: where it raised
        reached: Counter[Span] = Counter()
        for t in self.traces:
            (framed if t.how == "frames" else reached).update(set(t.targets))
            if t.how == "frames":
                raised[t.targets[0]] += 1
        spans = list(dict.fromkeys(s for t in self.traces for s in t.targets))
        over = len(spans) > MAX_TARGETS
        spans.sort(
            key=lambda s: (
                -framed[s],
                -raised[s],
                -reached[s],
                *((s.end < s.start, s.end - s.start) if over else ()),
            )
        )
        out = Trace()
        for t in self.traces:
            _merge(out, t)
        out.targets = spans[:MAX_TARGETS]
        return out


def _home(framed: Sequence[_Group], diag: Diagnostic, trace: Trace) -> _Group | None:
    """The framed group a frameless failure belongs to, if any."""
    for group in framed:
        spans = [s for t in group.traces for s in t.targets]
        if any(_overlap(a, b) for a in trace.targets for b in spans):
            return group
    same_file = [g for g in framed if any(d.file == diag.file for d in g.diags)]
    return same_file[0] if len(same_file) == 1 else None


def _overlap(a: Span, b: Span) -> bool:
    """Same file and intersecting lines (a class contains its methods); a whole-module
    span (end < start) overlaps nothing."""
    return (
        a.file == b.file
        and a.end >= a.start
        and b.end >= b.start
        and a.start <= b.end
        and b.start <= a.end
    )


def _merge(into: Trace, other: Trace) -> None:
    """Tests, evidence and how from `other` (targets are ranked by the group)."""
    into.tests = list(dict.fromkeys([*into.tests, *other.tests]))[:MAX_TESTS]
    into.targets = list(dict.fromkeys([*into.targets, *other.targets]))
    for key, lines in other.evidence.items():
        into.evidence.setdefault(key, lines)
    if into.how != other.how:
        into.how = ",".join(sorted({*into.how.split(","), *other.how.split(",")} - {""}))


def _nested_in(inner: Span, outer: Span) -> bool:
    """Is `inner` defined inside `outer` (`compose.compose_two` in `compose`)?"""
    return (
        inner.file == outer.file
        and bool(outer.name)
        and inner.name.startswith(outer.name + ".")
        and outer.start <= inner.start
        and inner.end <= outer.end
    )
