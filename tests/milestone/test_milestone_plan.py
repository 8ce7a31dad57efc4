"""Plan parsing, errors that name file and line, and byte-exact checkbox updates."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mom_cli.errors import PlanError
from mom_cli.workflows.milestone import plan as planfile

PLAN = """# Roadmap

## Milestone 1: Basics
- [x] Done thing
- [ ] Open thing

## Milestone 3: Caching layer
Add a cache.

- [ ] Add cache module
- [ ] Wire it in (after 1)
  - [X] nested counts too (after 1, 2)
```
- [ ] not an item, inside a fence
```
### Notes
- [ ] still milestone 3 (sub-heading)

## Something else
- [ ] outside any milestone
"""


def test_parses_milestones_items_and_dependencies() -> None:
    plan = planfile.parse_plan(PLAN, Path("MILESTONES.md"))
    assert [m.number for m in plan.milestones] == [1, 3]
    m3 = plan.milestone(3)
    assert m3.title == "Caching layer"
    assert [(i.index, i.done, i.depends_on) for i in m3.items] == [
        (1, False, ()),
        (2, False, (1,)),
        (3, True, (1, 2)),
        (4, False, ()),
    ]
    assert m3.items[1].text == "Wire it in"
    assert m3.items[1].line == 11
    assert "Add a cache." in m3.prose


def test_missing_milestone_lists_existing() -> None:
    plan = planfile.parse_plan(PLAN, Path("MILESTONES.md"))
    with pytest.raises(PlanError, match=r"no milestone 2; milestones in this file: 1 \(Basics\)"):
        plan.milestone(2)


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("## Milestone 1: a\n- [?] x\n", ":2:", "expected a task box"),
        ("## Milestone 1: a\n- [ ] x (after one)\n", ":2:", "expected item numbers"),
        ("## Milestone 1: a\n- [ ] x (after 3)\n", ":2:", "only 1 items"),
        ("## Milestone 1: a\n- [ ] x (after 2)\n- [ ] y (after 1)\n", ":2:", "cycle"),
        ("## Milestone 1: a\n- [ ] x (after 1)\n", ":2:", "itself"),
        ("## Milestone 1: a\n- [ ]\n", ":2:", "empty item"),
        ("## Milestone 1: a\n## Milestone 1: b\n", ":2:", "already defined at line 1"),
        ("## Milestone 2b: a\n", ":1:", "whole milestone number"),
        ("## Milestone 1: a\n- [ ] x (after 1\n", ":2:", r"\(after N, M\)"),
    ],
)
def test_errors_name_file_line_and_expectation(text: str, where: str, what: str) -> None:
    with pytest.raises(PlanError, match=what) as info:
        planfile.parse_plan(text, Path("ROADMAP.md"))
    assert f"ROADMAP.md{where}" in str(info.value)


def test_non_utf8_is_a_plan_error(tmp_path: Path) -> None:
    path = tmp_path / "MILESTONES.md"
    path.write_bytes(b"## Milestone 1: a\n- [ ] \xff\n")
    with pytest.raises(PlanError, match="MILESTONES.md:2: expected UTF-8"):
        planfile.load_plan(path)


_lines = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "## Milestone 1: A",
                "## Milestone 2",
                "# Milestone 3: top",
                "### Milestone 1: x",
                "- [ ] item",
                "- [x] done",
                "- [ ] dep (after 1)",
                "- [ ] bad (after 9)",
                "- [ ] (after 1, 2)",
                "* [X] star",
                "- [?] odd",
                "```",
                "~~~",
                "## Other",
                "- [ ] self (after 2)",
                "## Milestone 02: z",
                "## Milestone -1",
                "- [ ]",
                "",
            ]
        ),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=30),
    ),
    max_size=25,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(lines=_lines, eol=st.sampled_from(["\n", "\r\n"]))
def test_malformed_plans_parse_or_raise_plan_error(lines: list[str], eol: str) -> None:
    text = eol.join(lines)
    try:
        plan = planfile.parse_plan(text, Path("MILESTONES.md"))
    except PlanError as exc:
        assert "MILESTONES.md" in str(exc)
        return
    for milestone in plan.milestones:
        assert [i.index for i in milestone.items] == list(range(1, len(milestone.items) + 1))
        for item in milestone.items:
            assert all(1 <= d <= len(milestone.items) for d in item.depends_on)


_filler = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\n"), max_size=20)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    before=st.lists(_filler, max_size=5),
    items=st.lists(
        st.tuples(st.booleans(), st.text(alphabet="abc xyz()[]-", min_size=1, max_size=15)),
        min_size=1,
        max_size=6,
    ),
    after=st.lists(_filler, max_size=5),
    eol=st.sampled_from(["\n", "\r\n"]),
    trailing=st.booleans(),
    pick=st.integers(min_value=0, max_value=5),
    comment=st.sampled_from(["", "<!-- mom: local, smollm2, $0.0000 -->"]),
)
def test_check_off_changes_only_the_box(
    tmp_path: Path,
    before: list[str],
    items: list[tuple[bool, str]],
    after: list[str],
    eol: str,
    trailing: bool,
    pick: int,
    comment: str,
) -> None:
    lines = ["## Milestone 1: t", *[f"{b}" for b in before if not b.lstrip().startswith("#")]]
    lines += [
        f"- [{'x' if done else ' '}] item {n} {text.strip() or 'x'}".rstrip()
        for n, (done, text) in enumerate(items)
    ]
    lines += [a for a in after if not a.lstrip().startswith(("#", "-", "*", "+", "`", "~"))]
    text = eol.join(lines) + (eol if trailing else "")
    path = tmp_path / "MILESTONES.md"
    path.write_bytes(text.encode())
    try:
        milestone = planfile.load_plan(path).milestone(1)
    except PlanError:
        return  # the generated filler made it malformed; parsing is tested elsewhere
    target = milestone.items[pick % len(milestone.items)]
    old = path.read_bytes()
    planfile.check_off(path, 1, target, comment)
    new = path.read_bytes()
    if target.done:
        assert new == old
        return
    lines_before = planfile.split_lines(text)[: target.line - 1]
    start = sum(len(ln.encode()) for ln in lines_before)
    line = planfile.split_lines(text)[target.line - 1].encode()
    box = start + line.index(b"[ ]") + 1
    body_end = start + len(line.rstrip(b"\r\n"))
    expected = old[:box] + b"x" + old[box + 1 : body_end]
    expected += (b" " + comment.encode()) if comment else b""
    expected += old[body_end:]
    assert new == expected
    assert planfile.load_plan(path).milestone(1).item(target.index).done


def test_check_off_keeps_crlf_and_missing_final_newline(tmp_path: Path) -> None:
    path = tmp_path / "MILESTONES.md"
    path.write_bytes(b"## Milestone 1: a\r\n- [ ] one  \r\n- [ ] two")
    items = planfile.load_plan(path).milestone(1).items
    planfile.check_off(path, 1, items[1])
    planfile.check_off(path, 1, items[0], "<!-- p -->")
    assert path.read_bytes() == b"## Milestone 1: a\r\n- [x] one   <!-- p -->\r\n- [x] two"
    assert planfile.load_plan(path).milestone(1).items[0].text == "one"


def test_check_off_refinds_a_moved_item(tmp_path: Path) -> None:
    path = tmp_path / "MILESTONES.md"
    path.write_text("## Milestone 1: a\n- [ ] one\n- [ ] two\n")
    two = planfile.load_plan(path).milestone(1).items[1]
    path.write_text("Intro the user added.\n\n## Milestone 1: a\n- [ ] one\n- [ ] two\n")
    planfile.check_off(path, 1, two)
    assert path.read_text().endswith("- [ ] one\n- [x] two\n")


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
@pytest.mark.parametrize("final", [True, False])
def test_insert_checklist_marks_it_generated_and_keeps_style(
    tmp_path: Path, eol: str, final: bool
) -> None:
    path = tmp_path / "MILESTONES.md"
    body = eol.join(
        ["# Plan", "", "## Milestone 4: Docs", "Write docs.", "", "## Milestone 5: Later", "Text"]
    )
    path.write_bytes((body + (eol if final else "")).encode())
    milestone = planfile.insert_checklist(path, 4, ["Write USAGE.md", "Link it (after 1)"])
    assert milestone.generated
    assert [(i.text, i.depends_on) for i in milestone.items] == [
        ("Write USAGE.md", ()),
        ("Link it", (1,)),
    ]
    data = path.read_bytes().decode()
    assert planfile.GENERATED_MARKER in data
    if eol == "\r\n":
        assert "\n" not in data.replace("\r\n", "")
    assert data.endswith("Text" + (eol if final else ""))
    assert planfile.load_plan(path).milestone(5).prose == "Text"


def test_insert_checklist_at_end_of_file_without_newline(tmp_path: Path) -> None:
    path = tmp_path / "MILESTONES.md"
    path.write_bytes(b"## Milestone 1: a\nDo it.")
    planfile.insert_checklist(path, 1, ["Write a.py"])
    assert path.read_bytes() == (
        b"## Milestone 1: a\nDo it.\n\n"
        + planfile.GENERATED_MARKER.encode()
        + b"\n- [ ] Write a.py"
    )
