"""Each ranking signal of issue 13 pinned on a small fixture: file roles, the natural-language
field (docstrings, comments, string literals), history (recency, co-change, past commit
messages), test↔source pairs, and that only history reachable from HEAD is read."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from git_repos import git
from git_repos import write_files as write

from mom_cli.index.api import CodeIndex
from mom_cli.index.recent import read_log
from mom_cli.index.roles import file_role, target_weight
from mom_cli.index.store import db_path, open_db

MakeRepo = Callable[[Mapping[str, str | bytes]], Path]


def top(repo: Path, query: str, limit: int = 10) -> list[str]:
    index = CodeIndex(repo)
    index.refresh(workers=1)
    return [path for path, _ in index.rank(query, limit=limit)]


@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("src/click/core.py", "source"),
        ("requests/adapters.py", "source"),
        ("tests/test_core.py", "test"),
        ("src/pkg/test_util.py", "test"),
        ("pkg/util_test.go", "test"),
        ("web/app.spec.ts", "test"),
        ("src/FooTest.java", "test"),
        ("conftest.py", "test"),
        ("docs/conf.py", "docs"),
        ("examples/hello.py", "example"),
        ("scripts/release.py", "script"),
        ("setup.py", "build"),
        ("noxfile.py", "build"),
        ("doc/man_docs.go", "source"),  # in Go a directory is a package
        ("latest.py", "source"),
    ],
)
def test_role_of_a_file(path: str, role: str) -> None:
    assert file_role(path) == role


def test_source_outranks_test_docs_and_scripts_that_say_the_same(index_repo: MakeRepo) -> None:
    words = "def handle_timeout(value):\n    '''Retry the upload when the socket times out.'''\n"
    repo = index_repo(
        {
            "pkg/upload.py": words,
            "tests/test_upload_timeout.py": words + "\n# upload socket times out retry\n",
            "docs/conf.py": "# upload socket times out retry\n" + words,
            "scripts/upload_timeout.py": words,
        }
    )
    assert top(repo, "upload retries when the socket times out")[0] == "pkg/upload.py"
    assert target_weight("pkg/upload.py") > target_weight("tests/test_upload.py")


def test_a_test_the_task_names_by_path_keeps_its_whole_score(index_repo: MakeRepo) -> None:
    """Roles weigh what the task did not name: "tests/test_upload.py fails" means that file."""
    repo = index_repo(
        {
            "pkg/upload.py": "def retry_upload(sock):\n    '''Retry on socket timeouts.'''\n",
            "tests/test_upload.py": "def test_retry():\n    assert True\n",
        }
    )
    plain = top(repo, "the upload retry test fails when the socket times out")
    assert plain[0] == "pkg/upload.py"
    named = top(repo, "tests/test_upload.py fails when the socket times out")
    assert named[0] == "tests/test_upload.py"


@pytest.mark.parametrize(
    ("where", "query"),
    [
        ('def f():\n    """Reject a malformed cookie jar header."""\n', "malformed cookie jar"),
        ("def f():\n    # the vendored certificate bundle is stale\n    pass\n", "stale bundle"),
        ("def f():\n    raise ValueError('mimetype sniffing failed')\n", "sniffing failed"),
        ("OPTION = {'autoescape_extensions': True}\n", "autoescape extensions"),
    ],
)
def test_docstrings_comments_and_strings_are_searchable(
    index_repo: MakeRepo, where: str, query: str
) -> None:
    filler = {f"pkg/mod{i}.py": f"def helper{i}(x):\n    return x + {i}\n" for i in range(6)}
    repo = index_repo({**filler, "pkg/target.py": where})
    assert top(repo, query)[0] == "pkg/target.py"


def commit_files(repo: Path, files: Mapping[str, str], message: str) -> None:
    write(repo, files)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


def history_repo(index_repo: MakeRepo) -> Path:
    """12 files in the first commit (too many to count as co-changed), then history."""
    base = {f"pkg/m{i}.py": f"def f{i}(x):\n    return x * {i}\n" for i in range(12)}
    repo = index_repo(base)
    commit_files(repo, {"pkg/m3.py": "def f3(x):\n    return x * 33\n"},
                 "Handle proxy authentication against corporate gateways")  # fmt: skip
    commit_files(
        repo,
        {"pkg/m5.py": "def f5(x):\n    return x * 55\n", "pkg/m6.py": "def f6(x):\n    return 6\n"},
        "Tidy the two helpers together",
    )
    commit_files(
        repo,
        {"pkg/m5.py": "def f5(x):\n    return x * 5\n", "pkg/m6.py": "def f6(x):\n    return x\n"},
        "Tidy them again",
    )
    return repo


def test_past_commit_messages_rank_the_files_they_touched(index_repo: MakeRepo) -> None:
    repo = history_repo(index_repo)
    assert top(repo, "proxy authentication fails behind a corporate gateway")[0] == "pkg/m3.py"


def test_recency_and_cochange_are_recorded(index_repo: MakeRepo) -> None:
    repo = history_repo(index_repo)
    CodeIndex(repo).refresh(workers=1)
    conn, _ = open_db(db_path(repo / ".mom"))
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta"))
    finally:
        conn.close()
    recent = json.loads(meta["recent"])
    assert recent[0] == ["pkg/m5.py", "pkg/m6.py"]  # newest first
    cochange = json.loads(meta["cochange"])
    assert cochange["pkg/m5.py"] == [["pkg/m6.py", 2]]


def test_cochange_lends_score_to_the_usual_partner(index_repo: MakeRepo) -> None:
    repo = history_repo(index_repo)
    commit_files(repo, {"pkg/m5.py": "def f5(x):\n    '''Normalize the gizmo.'''\n    return x\n"},
                 "gizmo")  # fmt: skip
    ranked = top(repo, "normalize gizmo", limit=3)
    assert ranked[:2] == ["pkg/m5.py", "pkg/m6.py"]


def test_test_source_pair_lends_both_ways(index_repo: MakeRepo) -> None:
    filler = {f"pkg/other{i}.py": f"def g{i}():\n    return {i}\n" for i in range(6)}
    repo = index_repo(
        {
            **filler,
            "pkg/parser.py": "def parse(text):\n    return text\n",
            "tests/test_parser.py": "def test_unterminated_quote_is_rejected():\n    pass\n",
        }
    )
    ranked = top(repo, "unterminated quote is rejected", limit=3)
    # Only the test holds the words; its source partner is lifted above every other file.
    assert set(ranked[:2]) == {"pkg/parser.py", "tests/test_parser.py"}


def test_context_labels_a_test_excerpt(index_repo: MakeRepo) -> None:
    repo = index_repo(
        {
            "pkg/parser.py": "def parse(text):\n    return text\n",
            "tests/test_parser.py": "def test_unterminated_quote():\n    assert True\n",
        }
    )
    index = CodeIndex(repo)
    index.refresh(workers=1)
    text = index.context("unterminated quote", budget=2000).text
    assert "function test_unterminated_quote [test]" in text
    assert "function parse\n" in text


def test_future_commits_on_other_refs_never_reach_ranking(index_repo: MakeRepo) -> None:
    """A clone with refs past HEAD (a remote branch, a tag, a local branch): only history
    reachable from HEAD is read, so a future commit's message and files rank nothing."""
    repo = history_repo(index_repo)
    parent = git(repo, "rev-parse", "HEAD").strip()
    commit_files(repo, {"pkg/m1.py": "def f1(x):\n    return x * 11\n"},
                 "Fix zeppelin mooring calculation overflow")  # fmt: skip
    future = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "update-ref", "refs/remotes/origin/future", future)
    git(repo, "tag", "v9.9", future)
    git(repo, "branch", "later", future)
    git(repo, "checkout", "-q", "--detach", parent)

    assert all("zeppelin" not in message.lower() for message, _ in read_log(repo))
    index = CodeIndex(repo)
    index.refresh(workers=1)
    conn, _ = open_db(db_path(repo / ".mom"))
    try:
        rows = conn.execute("SELECT path FROM history WHERE history MATCH 'zeppelin'").fetchall()
        meta = dict(conn.execute("SELECT key, value FROM meta"))
    finally:
        conn.close()
    assert rows == []
    assert "pkg/m1.py" not in json.loads(meta["recent"])[0]
    assert meta["head"] == parent
    scores = dict(index.rank("zeppelin mooring calculation overflow", limit=50))
    assert scores["pkg/m1.py"] <= scores["pkg/m2.py"]  # the future's file is nothing special


def test_each_lexicon_field_is_a_signal_of_its_own(index_repo: MakeRepo) -> None:
    """`field_scores` searches one field: a word only in a docstring is found by the text
    field and not by the path or definition fields; a word only in a path, the reverse."""
    from mom_cli.index.rank import FIELDS, rank
    from mom_cli.index.signals import field_scores

    repo = index_repo(
        {
            "pkg/gateway.py": "def connect(x):\n    '''Open the tunnel to the proxy.'''\n",
            "pkg/other.py": "def tunnel_size(x):\n    return x\n",
        }
    )
    index = CodeIndex(repo)
    index.refresh(workers=1)
    conn, _ = open_db(db_path(index.state_dir))
    try:
        ids = {p: i for i, p in conn.execute("SELECT id, path FROM files")}
        gateway, other = ids["pkg/gateway.py"], ids["pkg/other.py"]
        assert set(field_scores(conn, ["proxy"], "text_words")) == {gateway}
        assert field_scores(conn, ["proxy"], "def_words") == {}
        assert set(field_scores(conn, ["gateway"], "path_words")) == {gateway}
        assert set(field_scores(conn, ["tunnel"], "def_words")) == {other}
        assert set(field_scores(conn, ["tunnel"], "code_words")) == {gateway, other}
        assert field_scores(conn, [], "code_words") == {}
        ranking = rank(conn, "proxy tunnel")
        assert {"graph", "lexical", "history"} <= set(ranking.signals)
        assert set(FIELDS.values()) <= {"code_words", "text_words", "path_words", "def_words"}
    finally:
        conn.close()
