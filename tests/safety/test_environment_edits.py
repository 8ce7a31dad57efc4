"""Edits into installed environments are refused, named, and write nothing: a virtualenv
(a folder holding pyvenv.cfg, whatever its name), a conda env, node_modules, site-packages."""

from __future__ import annotations

import json
import os
import string
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import hostile
import pytest
from git_repos import tree_state, write_files
from hostile import FakeServer, Reply
from hypothesis import given
from hypothesis import strategies as st

from mom_cli.edits.apply import apply_edits
from mom_cli.edits.blocks import EditBlock
from mom_cli.edits.containment import ENVIRONMENT_DIRS, lexical_problem
from mom_cli.errors import PathEscapeError

LIB = "lib/python3.11/site-packages"


@pytest.fixture
def repo(make_repo: Callable[..., Path]) -> Path:
    """A project whose tree (untracked, as usual) holds a venv, a custom-named venv, a conda
    env and node_modules, each with a file a model might want to patch."""
    repo = make_repo({"app.py": "x = 1\n"})
    write_files(
        repo,
        {
            "venv/pyvenv.cfg": "home = /usr/bin\n",
            "venv/bin/tool.py": "print(1)\n",
            "env-3.11/pyvenv.cfg": "home = /usr/bin\n",
            "env-3.11/dep/mod.py": "y = 2\n",
            "conda/conda-meta/history": "",
            "conda/pkg/m.py": "z = 3\n",
            "node_modules/left-pad/index.js": "module.exports = 1;\n",
        },
    )
    return repo


@pytest.mark.parametrize(
    ("path", "where"),
    [
        ("venv/bin/tool.py", "venv/"),
        (f"env-3.11/{LIB}/six.py", "env-3.11/"),  # a new file in a venv named anything
        ("env-3.11/dep/mod.py", "env-3.11/"),
        ("conda/pkg/m.py", "conda/"),
        ("node_modules/left-pad/index.js", "node_modules/"),
        ("web/node_modules/x/index.js", "web/node_modules/"),  # not there yet: still refused
        (f"tools/{LIB}/six.py", f"tools/{LIB.rsplit('/', 1)[0]}/site-packages/"),
        ("usr/lib/python3/dist-packages/apt.py", "usr/lib/python3/dist-packages/"),
    ],
)
def test_an_edit_into_an_environment_is_refused_and_writes_nothing(
    repo: Path, path: str, where: str
) -> None:
    before = tree_state(repo)
    blocks = [EditBlock("app.py", "x = 1\n", "x = 2\n"), EditBlock(path, "", "hacked\n")]
    with pytest.raises(PathEscapeError) as caught:
        apply_edits(repo, blocks)
    message = str(caught.value)
    assert path in message and f"inside {where}" in message, message
    assert "installed" in (caught.value.detail or "") or "environment" in message
    assert tree_state(repo) == before  # the step is all-or-nothing: app.py is untouched


def test_the_projects_own_files_beside_an_environment_are_edited(repo: Path) -> None:
    (repo / "pyvenv.cfg").write_text("home = /usr/bin\n")  # a repo root that is a venv
    apply_edits(repo, [EditBlock("app.py", "x = 1\n", "x = 2\n"),
                       EditBlock("src/node_modules_helper.py", "", "y = 1\n")])  # fmt: skip
    assert (repo / "app.py").read_text() == "x = 2\n"
    assert (repo / "src/node_modules_helper.py").read_text() == "y = 1\n"


_PART = st.text(string.ascii_letters + string.digits + "._-", min_size=1, max_size=8).filter(
    lambda p: p not in {".", ".."} and p.lower() not in {".git", ".mom", *ENVIRONMENT_DIRS}
)


@given(
    st.lists(_PART, max_size=3),
    st.sampled_from(ENVIRONMENT_DIRS),
    st.lists(_PART, min_size=1, max_size=3),
    st.booleans(),
)
def test_any_path_through_an_environment_folder_is_refused(
    head: list[str], env: str, tail: list[str], upper: bool
) -> None:
    env = env.upper() if upper else env
    path = "/".join([*head, env, *tail])
    assert f"inside {'/'.join([*head, env])}/" in lexical_problem(path)


@given(st.lists(_PART, min_size=1, max_size=5))
def test_a_path_outside_environments_has_no_environment_problem(parts: list[str]) -> None:
    assert "inside" not in lexical_problem("/".join(parts))


def test_mom_run_refuses_a_model_patching_an_installed_package(
    hostile_model: FakeServer, tmp_path: Path
) -> None:
    """End to end: the model "fixes" the task in the project's venv; each attempt is
    refused with the folder named, and the venv's file is untouched."""
    dep = ".venv/src/dep/dep.py"  # where pip puts a VCS checkout it installs editable
    repo = hostile.make_repo(tmp_path / "repo")
    write_files(repo, {".venv/pyvenv.cfg": "home = /usr/bin\n", dep: "def f():\n    return 1\n"})
    evil = hostile.edit_reply(dep, "    return 1\n", "    return 2\n")
    hostile_model.script(*[Reply(content=evil)] * 8)
    cfg = hostile.user_config(tmp_path / "user.toml", hostile_model.url)
    result = subprocess.run(
        [str(Path(sys.executable).parent / "mom"), "run", hostile.REQUEST, "--repo", str(repo),
         "--config", str(cfg), "--json"],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "DEEPSEEK_API_KEY": hostile.SECRET},
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    step = json.loads(result.stdout)["edits"]["steps"]["t1"]
    reasons = " ".join(d for a in step["attempts"] for d in a["diagnostics"])
    assert f"'{dep}'" in reasons and "inside .venv/ (a Python environment" in reasons
    assert (repo / dep).read_text() == "def f():\n    return 1\n"
