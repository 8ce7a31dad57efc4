"""The TypeScript build check: `tsc --noEmit`, incremental within a run.

The machine running the suite has node but no TypeScript, so tsc here is a stand-in
script in the project's node_modules/.bin (where mom looks first) that records how it
was called and answers like tsc; vercel/ms with the real tsc is in the CHANGELOG entry.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from mom_cli.config import ValidationSection
from mom_cli.validate.pipeline import validate_project

# Records its argv; with REJECT_INCREMENTAL set, answers like a tsc before 4.0.
STAND_IN = """#!/bin/sh
printf '%s\\n' "$*" >> "$(dirname "$0")/calls.log"
case "$*" in
  *--incremental*) if [ -f "$(dirname "$0")/REJECT_INCREMENTAL" ]; then
    echo "error TS5023: Unknown compiler option '--incremental'."; exit 1; fi;;
esac
exit 0
"""


def _ts_project(make_repo: Callable[..., Path]) -> Path:
    repo = make_repo(
        {
            "package.json": json.dumps({"name": "p", "devDependencies": {"typescript": "5"}}),
            "tsconfig.json": "{}\n",
            "src/index.ts": "export const x: number = 1;\n",
        }
    )
    tsc = repo / "node_modules/.bin/tsc"
    tsc.parent.mkdir(parents=True)
    tsc.write_text(STAND_IN)
    tsc.chmod(0o755)
    return repo


def _calls(repo: Path) -> list[str]:
    return (repo / "node_modules/.bin/calls.log").read_text().splitlines()


def test_tsc_reuses_its_build_info_across_checks_outside_the_work_tree(
    make_repo: Callable[..., Path],
) -> None:
    repo = _ts_project(make_repo)
    for _ in range(2):
        result = validate_project(repo, config=ValidationSection(), stages=["build"])
        assert result.passed and "tsc" in result.stages[0].tool_used
    first, second = _calls(repo)
    assert first == second and "--noEmit" in first and "--incremental" in first
    info = first.split("--tsBuildInfoFile ", 1)[1].split()[0]
    assert not Path(info).is_relative_to(repo)


def test_a_tsc_that_rejects_incremental_gets_the_plain_check(
    make_repo: Callable[..., Path],
) -> None:
    repo = _ts_project(make_repo)
    (repo / "node_modules/.bin/REJECT_INCREMENTAL").write_text("")
    result = validate_project(repo, config=ValidationSection(), stages=["build"])
    assert result.passed, result.prompt_text()
    assert _calls(repo)[-1] == "--noEmit --pretty false"
