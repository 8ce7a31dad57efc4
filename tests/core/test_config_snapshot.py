"""The validated-config snapshot: reused only while every input is byte-identical."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mom_cli.config_snapshot import SNAPSHOT_NAME, effective_config
from mom_cli.errors import ConfigError


def _repo(tmp_path: Path, budget: int | None = None) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir(exist_ok=True)
    if budget is not None:
        (repo / "routing.toml").write_text(f"[context]\nmax_context_tokens = {budget}\n")
    return repo


def test_snapshot_written_then_reused_and_invalidated_by_content(tmp_path: Path) -> None:
    repo = _repo(tmp_path, 5000)
    state = repo / ".mom"
    first = effective_config(repo, state, environ={})
    assert first["context"]["max_context_tokens"] == 5000
    assert json.loads((state / SNAPSHOT_NAME).read_text())["config"] == first
    assert effective_config(repo, state, environ={}) == first
    _repo(tmp_path, 6000)  # same size, different bytes
    assert effective_config(repo, state, environ={})["context"]["max_context_tokens"] == 6000


def test_environment_and_config_flag_are_part_of_the_key(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    state = repo / ".mom"
    assert effective_config(repo, state, environ={})["context"]["max_context_tokens"] == 20000
    env = {"MOM_CONTEXT__MAX_CONTEXT_TOKENS": "777"}
    assert effective_config(repo, state, environ=env)["context"]["max_context_tokens"] == 777
    flag = tmp_path / "mine.toml"
    flag.write_text("[context]\nmax_context_tokens = 888\n")
    got = effective_config(repo, state, config_path=flag, environ={})
    assert got["context"]["max_context_tokens"] == 888


def test_bad_layer_raises_and_writes_nothing(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "routing.toml").write_text("[context]\nmax_context_tokns = 5\n")
    with pytest.raises(ConfigError, match="max_context_tokns.*did you mean"):
        effective_config(repo, repo / ".mom", environ={})
    assert not (repo / ".mom").exists()


def test_a_damaged_snapshot_is_replaced(tmp_path: Path) -> None:
    repo = _repo(tmp_path, 4000)
    state = repo / ".mom"
    state.mkdir()
    (state / SNAPSHOT_NAME).write_text("{not json")
    assert effective_config(repo, state, environ={})["context"]["max_context_tokens"] == 4000
    assert json.loads((state / SNAPSHOT_NAME).read_text())["config"]["context"]


def test_a_hit_imports_no_pydantic(tmp_path: Path) -> None:
    repo = _repo(tmp_path, 3000)
    code = (
        "import sys; from pathlib import Path\n"
        "from mom_cli.config_snapshot import effective_config\n"
        f"r = Path({str(repo)!r}); c = effective_config(r, r / '.mom')\n"
        "print(c['context']['max_context_tokens'], 'pydantic' in sys.modules)\n"
    )
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        for _ in range(2)
    ]
    assert [r.stdout.split() for r in runs] == [["3000", "True"], ["3000", "False"]]


def test_a_new_repo_without_routing_toml_reuses_the_user_snapshot(tmp_path: Path) -> None:
    """The first `mom context` on a never-indexed repo has no `.mom/` yet: it must not pay
    for pydantic when another repo without a routing.toml was loaded before."""
    code = (
        "import sys; from pathlib import Path\n"
        "from mom_cli.config_snapshot import effective_config\n"
        "r = Path(sys.argv[1]); c = effective_config(r, r / '.mom')\n"
        "print(c['context']['max_context_tokens'], 'pydantic' in sys.modules)\n"
    )
    outs = []
    for name in ("a", "b", "c"):
        repo = tmp_path / name
        repo.mkdir()
        if name == "c":  # its own routing.toml: never the shared snapshot
            (repo / "routing.toml").write_text("[context]\nmax_context_tokens = 1234\n")
        run = subprocess.run(
            [sys.executable, "-c", code, str(repo)], capture_output=True, text=True, check=True
        )
        outs.append(run.stdout.split())
    assert outs == [["20000", "True"], ["20000", "False"], ["1234", "True"]]


def test_the_user_snapshot_still_follows_the_user_file(tmp_path: Path) -> None:
    user = tmp_path / "user.toml"
    user.write_text("[context]\nmax_context_tokens = 4321\n")
    first, second = _repo(tmp_path), tmp_path / "other"
    second.mkdir()
    assert (
        effective_config(first, first / ".mom", user, environ={})["context"]["max_context_tokens"]
        == 4321
    )
    user.write_text("[context]\nmax_context_tokens = 4322\n")
    assert (
        effective_config(second, second / ".mom", user, environ={})["context"]["max_context_tokens"]
        == 4322
    )
