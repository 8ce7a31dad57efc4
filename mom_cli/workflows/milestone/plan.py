"""Read milestones from a plan file, and tick their checkboxes without disturbing it.

The plan file is the user's document, so parsing is strict about what it claims (a
malformed item or dependency is a PlanError naming file, line and what was expected) and
updates are surgical: checking an item changes only the space inside its `[ ]` (plus an
optional provenance comment), every other byte - CRLF endings, a missing final newline,
trailing spaces - stays as it was. Writes go through a temp file and os.replace, so a
crash leaves either the old plan or the new one, never half of one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from mom_cli.edits.fileio import write_atomic
from mom_cli.errors import PlanError

GENERATED_MARKER = "<!-- mom: generated checklist -->"

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$")
_MILESTONE = re.compile(r"^milestone[ \t]+(\S+?)(?:[ \t]*[:.\-\u2013\u2014][ \t]*(.*))?$", re.I)
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
# A GitHub task-list line: bullet, box, text. Group "box" spans the brackets.
_TASK = re.compile(r"^(?P<lead>[ \t]*[-*+][ \t]+)(?P<box>\[(?P<mark>[^\]]?)\])(?P<rest>.*)$")
_AFTER = re.compile(r"\(\s*after\b([^)]*)\)\s*$", re.I)
_AFTER_ANYWHERE = re.compile(r"\(\s*after\b", re.I)
_COMMENT = re.compile(r"[ \t]*<!--.*?-->[ \t]*$")


@dataclass(frozen=True)
class PlanItem:
    """One checklist line. `index` counts from 1 within its milestone, in file order."""

    index: int
    text: str  # without the bullet, the box, `(after …)` and a trailing mom comment
    done: bool
    depends_on: tuple[int, ...]
    line: int  # 1-based line number in the plan file


@dataclass(frozen=True)
class Milestone:
    number: int
    title: str
    line: int  # the heading's line number
    end_line: int  # last line of the section (inclusive)
    prose: str  # the section's text that is not a checklist item
    items: tuple[PlanItem, ...]
    generated: bool  # the checklist carries GENERATED_MARKER

    def item(self, index: int) -> PlanItem:
        for it in self.items:
            if it.index == index:
                return it
        raise PlanError(f"milestone {self.number} has no item {index}")

    def open_items(self) -> list[PlanItem]:
        return [it for it in self.items if not it.done]


@dataclass(frozen=True)
class Plan:
    path: Path
    milestones: tuple[Milestone, ...]

    def milestone(self, number: int) -> Milestone:
        for m in self.milestones:
            if m.number == number:
                return m
        have = (
            ", ".join(
                f"{m.number} ({m.title})" if m.title else str(m.number) for m in self.milestones
            )
            or "none"
        )
        raise PlanError(f"{self.path}: no milestone {number}; milestones in this file: {have}")


def find_plan_file(repo: Path, plan_files: list[str]) -> Path:
    """The first configured plan file that exists at the repo root."""
    for name in plan_files:
        candidate = repo / name
        if candidate.is_file():
            return candidate
    raise PlanError(
        f"{repo}: no plan file; expected one of {', '.join(plan_files)} at the repository root"
    )


def split_lines(text: str) -> list[str]:
    """Lines with their endings kept; only \\n ends a line (str.splitlines knows too many)."""
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _body(line: str) -> str:
    return line.rstrip("\n").rstrip("\r")


def read_plan_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PlanError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PlanError(f"{path}:{line}: expected UTF-8 text (invalid byte)") from None


def load_plan(path: Path) -> Plan:
    return parse_plan(read_plan_text(path), path)


def parse_plan(text: str, path: Path) -> Plan:
    """Every milestone in `text`. Raises PlanError (never anything else) on a bad plan."""
    lines = [_body(ln) for ln in split_lines(text)]
    milestones: list[Milestone] = []
    seen: dict[int, int] = {}
    current: dict[str, object] | None = None
    fence: str | None = None
    for no, line in enumerate(lines, start=1):
        if fence is not None:
            if line.lstrip().startswith(fence):
                fence = None
            if current is not None:
                _prose(current).append(line)
            continue
        opened = _FENCE.match(line)
        if opened:
            fence = opened.group(1)
            if current is not None:
                _prose(current).append(line)
            continue
        heading = _HEADING.match(line)
        if heading:
            level = len(heading.group(1))
            if current is not None and level <= int(str(current["level"])):
                milestones.append(_finish(current, no - 1, path))
                current = None
            found = _milestone_heading(heading.group(2), path, no)
            if found is not None:
                number, title = found
                if number in seen:
                    raise PlanError(
                        f"{path}:{no}: milestone {number} is already defined at line "
                        f"{seen[number]}; expected each milestone number once"
                    )
                seen[number] = no
                current = {
                    "number": number,
                    "title": title,
                    "line": no,
                    "level": level,
                    "items": [],
                    "prose": [],
                    "generated": False,
                }
                continue
        if current is None:
            continue
        if line.strip() == GENERATED_MARKER:
            current["generated"] = True
            continue
        task = _TASK.match(line)
        if task:
            items: list[PlanItem] = current["items"]  # type: ignore[assignment]
            items.append(_parse_item(task, len(items) + 1, no, path))
        else:
            _prose(current).append(line)
    if current is not None:
        milestones.append(_finish(current, len(lines), path))
    return Plan(path=path, milestones=tuple(milestones))


def _prose(current: dict[str, object]) -> list[str]:
    return current["prose"]  # type: ignore[return-value]


def _milestone_heading(title: str, path: Path, no: int) -> tuple[int, str] | None:
    m = _MILESTONE.match(title.strip())
    if not m:
        return None
    token = m.group(1).rstrip(":.")
    if token.isdigit() and token.isascii():
        return int(token), (m.group(2) or "").strip()
    if token[:1].isdigit():
        raise PlanError(
            f"{path}:{no}: expected a whole milestone number after 'Milestone', got {token!r}"
        )
    return None  # "## Milestones overview" and the like are ordinary headings


def _parse_item(task: re.Match[str], index: int, no: int, path: Path) -> PlanItem:
    mark = task.group("mark")
    if mark not in (" ", "x", "X"):
        raise PlanError(
            f"{path}:{no}: expected a task box `[ ]` or `[x]`, got `{task.group('box')}`"
        )
    rest = task.group("rest")
    if rest and not rest[0].isspace():
        raise PlanError(f"{path}:{no}: expected a space after `{task.group('box')}`")
    text = _COMMENT.sub("", rest).strip()
    deps: tuple[int, ...] = ()
    after = _AFTER.search(text)
    if after:
        deps = _parse_deps(after.group(1), path, no)
        text = text[: after.start()].rstrip()
    elif _AFTER_ANYWHERE.search(text):
        raise PlanError(
            f"{path}:{no}: expected `(after N, M)` at the end of the item, closed with `)`"
        )
    if not text:
        raise PlanError(f"{path}:{no}: expected text after the task box, got an empty item")
    if index in deps:
        raise PlanError(f"{path}:{no}: item {index} cannot depend on itself")
    return PlanItem(index=index, text=text, done=mark != " ", depends_on=deps, line=no)


def _parse_deps(raw: str, path: Path, no: int) -> tuple[int, ...]:
    parts = [p.strip() for p in re.split(r"[,\s]+|\band\b", raw.strip()) if p.strip()]
    if not parts:
        raise PlanError(f"{path}:{no}: expected item numbers in `(after …)`, e.g. `(after 1, 2)`")
    deps: list[int] = []
    for part in parts:
        token = part.lstrip("#")
        if not (token.isdigit() and token.isascii()) or int(token) < 1:
            raise PlanError(f"{path}:{no}: expected item numbers in `(after …)`, got {part!r}")
        deps.append(int(token))
    return tuple(dict.fromkeys(deps))


def _finish(current: dict[str, object], end_line: int, path: Path) -> Milestone:
    items: list[PlanItem] = current["items"]  # type: ignore[assignment]
    number = int(str(current["number"]))
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_nodes_from(it.index for it in items)
    for it in items:
        for dep in it.depends_on:
            if dep > len(items):
                raise PlanError(
                    f"{path}:{it.line}: item {it.index} is after item {dep}, but milestone "
                    f"{number} has only {len(items)} items; expected an existing item number"
                )
            graph.add_edge(dep, it.index)
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        cycle = []
    if cycle:
        loop = " -> ".join(str(a) for a, _ in cycle) + f" -> {cycle[0][0]}"
        first = min(it.line for it in items if it.index == cycle[0][0])
        raise PlanError(
            f"{path}:{first}: milestone {number} items depend on each other in a cycle "
            f"({loop}); expected an order that can finish"
        )
    prose = "\n".join(_prose(current)).strip()
    return Milestone(
        number=number,
        title=str(current["title"]),
        line=int(str(current["line"])),
        end_line=end_line,
        prose=prose,
        items=tuple(items),
        generated=bool(current["generated"]),
    )


# ---------------------------------------------------------------- updates (byte-exact)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Atomic write (edits.fileio) that keeps the plan file's existing permissions."""
    try:
        mode: int | None = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    write_atomic(path, data, mode)


def check_off_bytes(data: bytes, line_no: int, comment: str = "") -> bytes:
    """`data` with the `[ ]` on line `line_no` flipped to `[x]` and nothing else touched.

    `comment` (e.g. "<!-- mom: local, smollm2, $0 -->") is inserted before the line
    ending. Already-checked lines are returned unchanged (idempotent for resume).
    """
    starts = [0] + [i + 1 for i, b in enumerate(data) if b == 0x0A]
    if not 1 <= line_no <= len(starts) or starts[line_no - 1] >= len(data) and line_no > 1:
        raise PlanError(f"line {line_no} is past the end of the plan file")
    start = starts[line_no - 1]
    end = data.find(b"\n", start)
    end = len(data) if end < 0 else end
    line = data[start:end]
    body_end = end - 1 if line.endswith(b"\r") else end
    match = re.match(rb"^[ \t]*[-*+][ \t]+\[(.?)\]", line)
    if not match:
        raise PlanError(f"line {line_no} is not a task-list item any more")
    if match.group(1) in (b"x", b"X"):
        return data
    box = start + match.start(1)
    out = data[:box] + b"x" + data[box + 1 : body_end]
    if comment:
        out += b" " + comment.encode("utf-8")
    return out + data[body_end:]


def check_off(path: Path, milestone: int, item: PlanItem, comment: str = "") -> None:
    """Tick `item` in the plan file on disk, re-finding it if the user edited the file."""
    current = load_plan(path).milestone(milestone)
    target = next(
        (it for it in current.items if it.line == item.line and it.text == item.text), None
    )
    if target is None:
        target = next((it for it in current.items if it.text == item.text), None)
    if target is None:
        raise PlanError(
            f"{path}: milestone {milestone} item {item.index} ({item.text!r}) is no longer in "
            "the plan file; not checking anything off"
        )
    if target.done:
        return
    data = path.read_bytes()
    atomic_write_bytes(path, check_off_bytes(data, target.line, comment))


def provenance_comment(tier: str, model: str, cost_usd: float) -> str:
    return f"<!-- mom: {tier}, {model}, ${cost_usd:.4f} -->"


def insert_checklist(path: Path, milestone: int, items: list[str]) -> Milestone:
    """Append a generated checklist to a milestone section that has none; return it parsed.

    The list goes after the section's last non-blank line, in the file's own line ending
    style, preceded by GENERATED_MARKER so the user (and mom) can tell it was generated.
    """
    text = read_plan_text(path)
    section = parse_plan(text, path).milestone(milestone)
    if section.items:
        raise PlanError(f"{path}: milestone {milestone} already has a checklist")
    lines = split_lines(text)
    eol = "\r\n" if sum(ln.endswith("\r\n") for ln in lines) * 2 > len(lines) else "\n"
    last = section.end_line
    while last > section.line and not lines[last - 1].strip():
        last -= 1
    block = [eol, GENERATED_MARKER + eol] + [f"- [ ] {it}{eol}" for it in items]
    before = lines[:last]
    if before and not before[-1].endswith("\n"):
        before[-1] += eol
    after = lines[last:]
    if not after:  # the section ended the file: keep the file's "no final newline" choice
        block[-1] = block[-1].rstrip("\r\n") if not text.endswith("\n") else block[-1]
    elif after[0].strip():
        block.append(eol)
    atomic_write_bytes(path, "".join(before + block + after).encode("utf-8"))
    return load_plan(path).milestone(milestone)
