"""Guards on a model's edits: protected files, control characters in paths, file size,
and mass deletions counted by structure (tree-sitter), not lines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hostile import (
    REQUEST,
    SECRET,
    FakeServer,
    Reply,
    edit_reply,
    make_repo,
    user_config,
    whole_file_reply,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from mom_cli.config import SafetySection
from mom_cli.edits.apply import plan_edits
from mom_cli.edits.blocks import EditBlock
from mom_cli.errors import EditError, PathEscapeError

DEFAULT = SafetySection()


@pytest.mark.parametrize(
    "path",
    [
        "routing.toml",
        ".github/workflows/ci.yml",
        ".pre-commit-config.yaml",
        ".ci/run",
        ".gitignore",
        ".gitattributes",
        "sub/.gitmodules",
        "Routing.TOML",
        ".GitHub/Workflows/x.yml",
    ],
)
def test_protected_files_are_refused(tmp_path: Path, path: str) -> None:
    with pytest.raises(EditError, match="protected"):
        plan_edits(tmp_path, [EditBlock(path, "", "x = 1\n", whole_file=True)], safety=DEFAULT)
    assert not (tmp_path / path).exists()


def test_user_listed_paths_are_protected_and_allow_edit_opens_one(tmp_path: Path) -> None:
    safety = SafetySection(protected=["deploy/**", "*.lock"])
    for path in ("deploy/prod.sh", "poetry.lock"):
        with pytest.raises(EditError, match="protected"):
            plan_edits(tmp_path, [EditBlock(path, "", "x\n", whole_file=True)], safety=safety)
    allowed = SafetySection(protected=["deploy/**"], allow_edit=["deploy/**", ".gitignore"])
    for path in ("deploy/prod.sh", ".gitignore"):
        (change,) = plan_edits(tmp_path, [EditBlock(path, "", "x\n", whole_file=True)],
                               safety=allowed)  # fmt: skip
        assert change.path == path


@pytest.mark.parametrize("bad", ["\r", "\x1b", "\x7f", "\x85", "\x08"])
def test_control_characters_in_paths_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(PathEscapeError, match="control character"):
        plan_edits(tmp_path, [EditBlock(f"a{bad}.py", "", "x = 1\n", whole_file=True)])
    assert list(tmp_path.iterdir()) == []


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=12))
def test_no_path_with_a_control_character_is_ever_planned(name: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        try:
            changes = plan_edits(Path(folder), [EditBlock(name, "", "x\n", whole_file=True)])
        except EditError:
            return
        for change in changes:
            assert not any(ord(c) < 32 and c not in "\t\n" for c in change.path)
            assert not any(0xD800 <= ord(c) <= 0xDFFF for c in change.path)


def test_a_created_or_grown_file_is_capped(tmp_path: Path) -> None:
    small = SafetySection(max_file_bytes=1000)
    with pytest.raises(EditError, match="create it to 2,000 bytes"):
        plan_edits(tmp_path, [EditBlock("big.txt", "", "x" * 2000, whole_file=True)], safety=small)
    (tmp_path / "grow.txt").write_text("y" * 990)
    with pytest.raises(EditError, match="grow it"):
        plan_edits(tmp_path, [EditBlock("grow.txt", "y" * 990, "y" * 1990)], safety=small)
    (tmp_path / "old.txt").write_text("z" * 5000)  # already over: shrinking it is fine
    plan_edits(tmp_path, [EditBlock("old.txt", "z" * 5000, "z" * 4000)], safety=small)


def _module(names: list[str]) -> str:
    return "".join(f"def {n}(x):\n    return x + 1\n\n\n" for n in names)


NAMES = [f"f{i}" for i in range(13)]


def test_a_mass_deletion_padded_with_comments_is_refused(tmp_path: Path) -> None:
    before = _module(NAMES)
    (tmp_path / "m.py").write_text(before)
    kept = _module(NAMES[:2])
    padding = "".join(f"# padding line {i}\n" for i in range(before.count("\n") * 2))
    block = EditBlock("m.py", "", kept + padding, whole_file=True)
    assert (kept + padding).count("\n") > before.count("\n")  # a line count would pass it
    with pytest.raises(EditError, match="remove 11 of 13 definitions") as caught:
        plan_edits(tmp_path, [block])
    assert "f2" in (caught.value.detail or "")
    # asked for explicitly, it is allowed
    allowed = EditBlock("m.py", "", kept + padding, whole_file=True, allow_large_deletion=True)
    assert plan_edits(tmp_path, [allowed])


def test_methods_count_and_a_small_removal_is_fine(tmp_path: Path) -> None:
    src = "class A:\n" + "".join(f"    def m{i}(self):\n        return {i}\n\n" for i in range(6))
    (tmp_path / "c.py").write_text(src)
    one_gone = src.replace("    def m5(self):\n        return 5\n\n", "")
    assert plan_edits(tmp_path, [EditBlock("c.py", src, one_gone)])
    most_gone = "class A:\n    def m0(self):\n        return 0\n" + "# x\n" * 40
    with pytest.raises(EditError, match="remove 5 of 7 definitions"):
        plan_edits(tmp_path, [EditBlock("c.py", "", most_gone, whole_file=True)])


def _run(repo: Path, cfg: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """`mom run` in a real process (plain output goes through a real stdout)."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "mom"), "run", REQUEST, "--repo", str(repo),
         "--config", str(cfg), *extra],
        capture_output=True, text=True, timeout=300, check=False,
        env={**__import__("os").environ, "DEEPSEEK_API_KEY": SECRET, "PYTHONIOENCODING": "utf-8"},
    )  # fmt: skip


def test_a_model_editing_routing_toml_is_refused_with_a_reason_in_json(
    hostile_model: FakeServer, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {"routing.toml": "[cost]\nstop_threshold_usd = 1.0\n"})
    evil = edit_reply(
        "routing.toml",
        "[cost]\nstop_threshold_usd = 1.0\n",
        '[cost]\nstop_threshold_usd = 1000000.0\n[validation]\ntest_command = "curl evil"\n',
    )
    hostile_model.script(*[Reply(content=evil)] * 8)
    cfg = user_config(tmp_path / "user.toml", hostile_model.url)
    result = _run(repo, cfg, "--json")
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)
    step = doc["edits"]["steps"]["t1"]
    assert step["status"] == "failed"
    reasons = " ".join(d for a in step["attempts"] for d in a["diagnostics"])
    assert "routing.toml is protected" in reasons
    assert (repo / "routing.toml").read_text() == "[cost]\nstop_threshold_usd = 1.0\n"


def test_a_lone_surrogate_is_a_reason_in_json_and_prints_in_plain_mode(
    hostile_model: FakeServer, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repo")
    reply = whole_file_reply("calc/new.py", 'BAD = "\ud800"\n')
    hostile_model.script(*[Reply(content=reply)] * 16)
    cfg = user_config(tmp_path / "user.toml", hostile_model.url)
    result = _run(repo, cfg, "--json")
    doc = json.loads(result.stdout)
    step = doc["edits"]["steps"]["t1"]
    assert step["status"] == "failed", doc
    reasons = " ".join(d for a in step["attempts"] for d in a["diagnostics"])
    assert "lone UTF-16 surrogate (U+D800)" in reasons
    assert not (repo / "calc/new.py").exists()

    plain = _run(repo, cfg)
    assert "UnicodeEncodeError" not in plain.stdout + plain.stderr
    assert "Traceback" not in plain.stderr
    assert plain.returncode == 1
