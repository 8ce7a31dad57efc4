"""The listing stamp: a warm refresh starts no git process, yet sees every change git sees."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from git_repos import commit_files, git, write_files
from index_helpers import SAMPLE_PY

from mom_cli.index import stamp
from mom_cli.index.api import CodeIndex
from mom_cli.index.discover import discover
from mom_cli.index.stamp import STAMP_NAME

MakeRepo = Callable[[Mapping[str, str | bytes]], Path]
# A stamp records only inputs older than git's start minus RACY_NS (1 s): the tests use a
# shorter margin and wait it out, rather than sleep a second per step.
MARGIN_NS = 50_000_000


@pytest.fixture(autouse=True)
def _short_margin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stamp, "RACY_NS", MARGIN_NS)


def _settle() -> None:
    time.sleep(2 * MARGIN_NS / 1e9)


def _git_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every process started from now on (the index starts only git)."""
    calls: list[list[str]] = []
    real = subprocess.Popen

    def counting(args: list[str], *rest: object, **kwargs: object) -> subprocess.Popen[bytes]:
        calls.append(list(args))
        return real(args, *rest, **kwargs)  # type: ignore[call-overload,no-any-return]

    monkeypatch.setattr(subprocess, "Popen", counting)
    return calls


def _indexed(state: Path) -> set[str]:
    conn = sqlite3.connect(state / "index.sqlite3")
    try:
        return {row[0] for row in conn.execute("SELECT path FROM files")}
    finally:
        conn.close()


def _head_recorded(state: Path) -> str:
    conn = sqlite3.connect(state / "index.sqlite3")
    try:
        return str(conn.execute("SELECT value FROM meta WHERE key='head'").fetchone()[0])
    finally:
        conn.close()


def _stamped(repo: Path, state: Path) -> CodeIndex:
    state.mkdir(parents=True, exist_ok=True)
    index = CodeIndex(repo, state)
    _settle()
    index.refresh()
    assert (state / STAMP_NAME).is_file(), "a quiet repository gets a stamp"
    return index


def test_warm_refresh_starts_no_git(
    index_repo: MakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = index_repo(SAMPLE_PY)
    index = _stamped(repo, tmp_path / "state")
    calls = _git_calls(monkeypatch)
    again = index.refresh()
    assert calls == []
    assert (again.files, again.parsed, again.cache_hits) == (3, 0, 3)
    retry = repo / "app" / "retry.py"  # an edit in place: the per-file stat catches it
    retry.write_text(retry.read_text() + "\n\ndef jitter():\n    return 1\n")
    edited = index.refresh()
    assert calls == []
    assert edited.parsed == 1
    assert "jitter" in {e.symbol for e in index.context("jitter", 500).excerpts}


def _add_untracked(repo: Path) -> None:
    write_files(repo, {"app/new.py": "def fresh():\n    pass\n"})


def _add_in_new_dir(repo: Path) -> None:
    write_files(repo, {"app/sub/deeper/new.py": "def fresh():\n    pass\n"})


def _add_in_empty_dir(repo: Path) -> None:
    write_files(repo, {"empty/new.py": "def fresh():\n    pass\n"})


def _add_beside_ignored_only(repo: Path) -> None:
    write_files(repo, {"build/new.py": "def fresh():\n    pass\n"})


def _delete(repo: Path) -> None:
    (repo / "app" / "cli.py").unlink()


def _rename(repo: Path) -> None:
    (repo / "app" / "cli.py").rename(repo / "app" / "main.py")


def _ignore_in_gitignore(repo: Path) -> None:
    with (repo / ".gitignore").open("a") as handle:  # in place: the directory is unchanged
        handle.write("app/cli.py\n")


def _unignore(repo: Path) -> None:
    (repo / ".gitignore").write_text("*.pyc\n")  # generated/ is no longer ignored


def _nested_gitignore(repo: Path) -> None:
    write_files(repo, {"app/.gitignore": "http.py\n"})


def _exclude(repo: Path) -> None:
    with (repo / ".git" / "info" / "exclude").open("a") as handle:
        handle.write("app/http.py\n")


def _untrack(repo: Path) -> None:
    (repo / ".gitignore").write_text("generated/\n*.pyc\napp/cli.py\n")
    git(repo, "rm", "-q", "--cached", "app/cli.py")


def _commit(repo: Path) -> None:
    commit_files(repo, {"app/committed.py": "def done():\n    pass\n"}, "add a module")


def _checkout_other_branch(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "other")
    commit_files(repo, {"app/other.py": "def elsewhere():\n    pass\n"}, "on a branch")
    git(repo, "checkout", "-q", "main")


@pytest.mark.parametrize(
    "change",
    [
        _add_untracked, _add_in_new_dir, _add_in_empty_dir, _add_beside_ignored_only, _delete,
        _rename, _ignore_in_gitignore, _unignore, _nested_gitignore, _exclude, _untrack,
        _commit, _checkout_other_branch,
    ],
)  # fmt: skip
def test_stamp_sees_what_git_sees(
    change: Callable[[Path], None], index_repo: MakeRepo, tmp_path: Path
) -> None:
    repo = index_repo({**SAMPLE_PY, ".gitignore": "generated/\n*.pyc\n"})
    write_files(repo, {"generated/out.py": "def gen():\n    pass\n", "build/x.pyc": "\0"})
    (repo / "empty").mkdir()
    state = tmp_path / "state"
    index = _stamped(repo, state)
    change(repo)
    index.refresh()
    assert _indexed(state) == {c.path for c in discover(repo).candidates}  # git's own answer
    assert _head_recorded(state) == git(repo, "rev-parse", "HEAD").strip()


def test_redirecting_git_turns_the_stamp_off(
    index_repo: MakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = index_repo(SAMPLE_PY)
    index = _stamped(repo, tmp_path / "state")
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", "'core.excludesfile'='/nonexistent'")
    calls = _git_calls(monkeypatch)
    index.refresh()
    assert any(call[:2] == ["git", "ls-files"] for call in calls)


def test_a_change_while_git_runs_leaves_no_stamp(
    index_repo: MakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = index_repo(SAMPLE_PY)
    monkeypatch.setattr(stamp, "RACY_NS", 3_600 * 10**9)  # everything is "too recent"
    (tmp_path / "state").mkdir()
    CodeIndex(repo, tmp_path / "state").refresh()
    assert not (tmp_path / "state" / STAMP_NAME).exists()


@pytest.mark.parametrize("damage", ["", "{", '{"version": 1}', '{"version": 1, "env": 3}', "[]"])
def test_a_damaged_stamp_means_asking_git(
    damage: str, index_repo: MakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = index_repo(SAMPLE_PY)
    state = tmp_path / "state"
    index = _stamped(repo, state)
    (state / STAMP_NAME).write_text(damage)
    write_files(repo, {"app/new.py": "def fresh():\n    pass\n"})
    _settle()
    calls = _git_calls(monkeypatch)
    assert index.refresh().files == 4
    assert calls, "git answered"
    assert json.loads((state / STAMP_NAME).read_text())["version"] == stamp.STAMP_VERSION


def test_no_git_directory_no_stamp(tmp_path: Path) -> None:
    repo = tmp_path / "plain"
    write_files(repo, SAMPLE_PY)
    (tmp_path / "state").mkdir()
    _settle()
    CodeIndex(repo, tmp_path / "state").refresh()
    assert not (tmp_path / "state" / STAMP_NAME).exists()


WARM_CHECK = """
import contextlib, io, json, sys
import mom_cli.index.stamp as stamp
stamp.RACY_NS = {margin}
sys.argv = ["mom", "context", "RetryPolicy", "--repo", {repo!r}, "--json"]
from mom_cli.cli.fast import main
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
    main()
heavy = ("subprocess", "hashlib", "typer", "rich", "pydantic", "click", "tree_sitter", "numpy")
loaded = [m for m in heavy if m in sys.modules]
print(json.dumps({{"doc": json.loads(out.getvalue()), "loaded": loaded}}))
"""


def test_warm_context_loads_no_heavy_module(index_repo: MakeRepo) -> None:
    """The warm `mom context` path, as the console script runs it in a fresh process:
    no git process (hence no subprocess import), no hashing, no front end, no parser."""
    repo = index_repo(SAMPLE_PY)
    code = WARM_CHECK.format(margin=MARGIN_NS, repo=str(repo))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stderr
    assert "subprocess" in json.loads(first.stdout)["loaded"]  # the cold call asks git
    _settle()
    subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, check=True)
    assert (repo / ".mom" / STAMP_NAME).is_file()
    warm = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert warm.returncode == 0, warm.stderr
    result = json.loads(warm.stdout)
    assert result["doc"]["files"][0]["path"] == "app/retry.py"
    assert result["loaded"] == []


def test_stamp_is_not_written_into_the_listing(index_repo: MakeRepo, tmp_path: Path) -> None:
    """The stamp lives in the state dir; a state dir inside the repo is never walked."""
    repo = index_repo(SAMPLE_PY)
    state = repo / "inside-state"
    _stamped(repo, state)
    dirs = json.loads((state / STAMP_NAME).read_text())["dirs"]
    assert "inside-state/" not in dirs and "app/" in dirs and "" in dirs
    shutil.rmtree(state)


def test_an_excludes_file_named_by_a_config_is_stamped(
    index_repo: MakeRepo, tmp_path: Path
) -> None:
    """`core.excludesFile` (here through an `[include]`d file) is read like .gitignore:
    editing it in place changes the listing, and so must the stamp's verdict."""
    repo = index_repo(SAMPLE_PY)
    excludes = tmp_path / "my-ignores"
    excludes.write_text("")
    extra = tmp_path / "extra.gitconfig"
    extra.write_text(f"[core]\n\texcludesFile = {excludes}\n")
    git(repo, "config", "include.path", str(extra))
    write_files(repo, {"app/scratch.py": "def scratch():\n    pass\n"})  # untracked
    state = tmp_path / "state"
    index = _stamped(repo, state)
    assert "app/scratch.py" in _indexed(state)
    excludes.write_text("scratch.py\n")
    index.refresh()
    assert "app/scratch.py" not in _indexed(state)
    assert _indexed(state) == {c.path for c in discover(repo).candidates}


def test_a_stamp_that_no_longer_holds_is_removed(index_repo: MakeRepo, tmp_path: Path) -> None:
    repo = index_repo(SAMPLE_PY)
    state = tmp_path / "state"
    index = _stamped(repo, state)
    write_files(repo, {"app/new.py": "x = 1\n"})  # too recent to stamp again at once
    index.refresh()
    assert not (state / STAMP_NAME).exists()
    _settle()
    index.refresh()
    assert (state / STAMP_NAME).exists()


def test_a_stamped_discovery_equals_git_s(index_repo: MakeRepo, tmp_path: Path) -> None:
    """What the paths alone decide (language, vendored, minified) is kept in the stamp; the
    result, skipped entries and their order included, is the one git's listing gives."""
    repo = index_repo(
        {
            **SAMPLE_PY,
            "web/app.min.js": "f()\n",
            "web/main.js": "function main() {}\n",
            "vendor/lib/v.py": "def v():\n    pass\n",
            "big.py": "x = 1\n" * 200_000,
            "notes.txt": "text\n",
        }
    )
    state = tmp_path / "state"
    _stamped(repo, state)
    stamped = stamp.reuse(repo, state)
    assert stamped is not None and stamped.classified is not None
    assert discover(repo, stamped) == discover(repo)
    reasons = {s.reason.split(" (")[0] for s in discover(repo, stamped).skipped}
    assert reasons == {"minified/bundled", "too large", "vendored directory"}
