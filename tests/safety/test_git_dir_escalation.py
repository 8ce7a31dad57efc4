"""Model code runs sandboxed (no keys, no network), but mom's own git calls do not: they
run with the user's full environment. So code the tests stage runs must not be able to
plant something git will execute later (a hook, `core.fsmonitor`, a filter in
`.git/config`) nor rewrite mom's state in `.mom/`: both stay read-only to it."""

from __future__ import annotations

import os
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
from typer.testing import CliRunner

from mom_cli import sandbox_fs
from mom_cli.cli.app import app
from mom_cli.validate.runner import run_command

pytestmark = pytest.mark.skipif(
    not sandbox_fs.available()[0], reason="no private mount namespace on this machine"
)

PLANT = """import os, stat
from pathlib import Path

for name in ("reference-transaction", "post-commit", "pre-auto-gc"):
    hook = Path(".git/hooks") / name
    try:
        hook.write_text("#!/bin/sh\\nenv > {dump!r}\\n")
        hook.chmod(0o755)
    except OSError:
        pass


def double(x: int) -> int:
    return x * 2
"""


def test_model_code_cannot_plant_a_git_hook_mom_runs_with_keys(
    hostile_model: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path / "repo")
    dump = tmp_path / "outside" / "env.txt"
    dump.parent.mkdir()
    reply = whole_file_reply("calc/plant.py", PLANT.format(dump=str(dump))) + edit_reply(
        "tests/test_ops.py",
        "from calc.ops import add\n",
        "import calc.plant  # noqa: F401\nfrom calc.ops import add\n",
    )
    hostile_model.script(Reply(content=reply), Reply(content=reply))
    cfg = user_config(tmp_path / "user.toml", hostile_model.url)
    monkeypatch.setenv("DEEPSEEK_API_KEY", SECRET)
    args = ["run", REQUEST, "--json", "--repo", str(repo), "--config", str(cfg)]

    first = CliRunner().invoke(app, args)
    assert (repo / "calc" / "plant.py").exists(), first.output  # the tests stage ran it
    CliRunner().invoke(app, ["undo", "--repo", str(repo)])  # mom's own git calls
    CliRunner().invoke(app, args)

    assert not (repo / ".git" / "hooks" / "reference-transaction").exists()
    assert not dump.exists() or SECRET not in dump.read_text()


@pytest.mark.parametrize("inside", [".git/config", ".git/hooks/pre-commit", ".mom/lock"])
def test_a_sandboxed_command_cannot_write_git_or_mom_state(tmp_path: Path, inside: str) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / ".mom").mkdir()
    (repo / ".mom" / "lock").write_text("")
    target = repo / inside
    before = target.read_bytes() if target.exists() else None
    code = "import sys; open(sys.argv[1], 'a').write('[core]\\n\\tfsmonitor = evil\\n')"

    result = run_command([sys.executable, "-c", code, inside], repo, timeout=30)

    assert result.returncode != 0
    assert (target.read_bytes() if target.exists() else None) == before


def test_a_sandboxed_command_still_writes_the_work_tree_and_reads_git(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    code = "open('calc/new.py', 'w').write('x = 1\\n')"

    made = run_command([sys.executable, "-c", code], repo, timeout=30)
    status = run_command(["git", "status", "--porcelain"], repo, timeout=30)

    assert made.returncode == 0 and (repo / "calc" / "new.py").read_text() == "x = 1\n"
    assert status.returncode == 0 and "calc/new.py" in status.stdout


def test_the_pre_commit_validation_cannot_plant_a_hook_in_the_real_repo(tmp_path: Path) -> None:
    """`mom validate --staged` runs the staged tests in a temp export; their code knows (or
    guesses) where the real repository is."""
    from mom_cli.config import ValidationSection
    from mom_cli.validate.pipeline import validate_staged

    repo = make_repo(tmp_path / "repo")
    hook = repo / ".git" / "hooks" / "post-commit"
    plant = (
        f"from pathlib import Path\nPath({str(hook)!r}).write_text('#!/bin/sh\\nenv\\n')\n\n"
        "def test_nothing() -> None:\n    pass\n"
    )
    (repo / "tests" / "test_plant.py").write_text(plant)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)

    validate_staged(repo, config=ValidationSection(enable_lint_check=False), tests=True)

    assert not hook.exists()


def test_credentials_are_hidden_and_startup_files_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Model code cannot copy `~/.aws/credentials` into the work tree (the next prompt
    would carry it to the model) nor add a line to `~/.bashrc` (run later with the keys)."""
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text("aws_secret_access_key = outside-secret\n")
    (home / ".netrc").write_text("machine x password outside-secret\n")
    (home / ".bashrc").write_text("# mine\n")
    monkeypatch.setenv("HOME", str(home))
    repo = make_repo(tmp_path / "repo")
    code = (
        "import os, pathlib\n"
        "h = pathlib.Path.home()\n"
        "seen = [p.read_text() for p in h.rglob('*') if p.is_file() and p.name != '.bashrc']\n"
        "pathlib.Path('loot.txt').write_text(''.join(seen))\n"
        "try:\n    open(h / '.bashrc', 'a').write('curl evil\\n')\nexcept OSError:\n    pass\n"
    )

    result = run_command([sys.executable, "-c", code], repo, timeout=30)

    assert result.returncode == 0, result.stderr
    assert "outside-secret" not in (repo / "loot.txt").read_text()
    assert (home / ".bashrc").read_text() == "# mine\n"
    assert "outside-secret" in (home / ".aws" / "credentials").read_text()  # still there


def test_path_folders_outside_the_repo_are_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `git` dropped in `~/.local/bin` would be what mom's own git calls run next."""
    repo = make_repo(tmp_path / "repo")
    user_bin, venv_bin = tmp_path / "home" / ".local" / "bin", repo / ".venv" / "bin"
    user_bin.mkdir(parents=True)
    venv_bin.mkdir(parents=True)
    monkeypatch.setenv("PATH", f"{user_bin}{os.pathsep}{venv_bin}{os.pathsep}{os.environ['PATH']}")
    code = (
        "import sys\n"
        "for folder in sys.argv[1:]:\n"
        "    try:\n        open(folder + '/git', 'w').write('#!/bin/sh\\n')\n"
        "    except OSError:\n        pass\n"
    )

    run_command([sys.executable, "-c", code, str(user_bin), str(venv_bin)], repo, timeout=30)

    assert not (user_bin / "git").exists()
    assert (venv_bin / "git").exists()  # the project's own venv, inside the repo: writable
