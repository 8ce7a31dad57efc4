"""A dry run is free: no request reaches a (paid) model server, even when a real run would
need a model to draft a milestone's checklist or split a request."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hostile import REQUEST, SECRET, FakeServer, Reply, make_repo, user_config

MOM = str(Path(sys.executable).parent / "mom")
PLAN = "## Milestone 1: Docs\nWrite USAGE.md with a title. Document add in calc/ops.py.\n"


def _mom(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MOM, *args], capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "DEEPSEEK_API_KEY": SECRET},
    )  # fmt: skip


@pytest.mark.parametrize(
    "command",
    [["milestone", "1", "--dry-run"], ["run", REQUEST, "--dry-run"], ["fix-build", "--dry-run"]],
    ids=["milestone", "run", "fix-build"],
)
def test_a_dry_run_makes_zero_calls(
    hostile_model: FakeServer, tmp_path: Path, command: list[str]
) -> None:
    repo = make_repo(tmp_path / "repo", {"MILESTONES.md": PLAN})
    (repo / "calc/ops.py").write_text("def add(a, b)\n    return a + b\n")  # a broken build
    hostile_model.script(*[Reply(content="- [ ] Create USAGE.md with a title\n")] * 4)
    # every tier, the checklist drafter and the decomposer are the paid hostile server
    cfg = user_config(
        tmp_path / "user.toml",
        hostile_model.url,
        local_models={"decomposer": "deepseek"},
        routing={"model_assisted_analysis": True},
    )
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts}
    result = _mom(*command, "--json", "--repo", str(repo), "--config", str(cfg))
    assert result.returncode == 0, result.stdout + result.stderr
    doc = json.loads(result.stdout)
    assert hostile_model.chat_requests == []
    after = {p: p.read_bytes() for p in before}
    assert after == before
    if command[0] == "milestone":
        note = " ".join(doc.get("notes", []))
        assert "a real run drafts it with deepseek-chat" in note
        assert "estimated $" in note and "no model call" in note
