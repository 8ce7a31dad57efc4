"""Passages (one BM25 document per definition): how a file is cut, how they are stored and
replaced on refresh, and the file-level signal they give."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from git_repos import write_files
from hypothesis import given
from hypothesis import strategies as st

from mom_cli.index.api import CodeIndex
from mom_cli.index.parse import parse_file
from mom_cli.index.passages import PASSAGE_SLOTS, file_of, passage_texts
from mom_cli.index.signals import passage_scores
from mom_cli.index.store import db_path, open_db
from mom_cli.index.words import query_words

MakeRepo = Callable[[Mapping[str, str | bytes]], Path]

MODULE = '''"""Module docstring about widgets."""
import os


class Gadget:
    """A gadget holds sprockets."""

    limit = 3

    def spin(self, sprocket):
        """Spin the sprocket until it wobbles."""
        return sprocket
'''


def passages_of(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "widgets.py").write_text(text)
    parsed = parse_file(str(tmp_path), "widgets.py", "python", 0, 0)
    return parsed.passages


def test_each_definition_is_a_passage_without_its_nested_definitions(tmp_path: Path) -> None:
    module, cls, method = passages_of(tmp_path, MODULE)
    assert module == "widgets module docstring about widgets import os"
    assert cls.startswith("widgets ")  # every passage carries its file's path words
    assert "sprockets" in cls and "limit" in cls
    assert "spin" not in cls and "wobbles" not in cls  # the method's lines are its own
    assert method.startswith("widgets gadget ")  # a method carries its class's name
    assert "wobbles" in method and "limit" not in method


def test_a_passage_too_short_to_say_anything_is_dropped() -> None:
    symbols = [("f", "function", 1, 1, "", "def f(): pass")]
    assert passage_texts(b"def f(): pass\n", symbols) == ["def f pass"]
    assert passage_texts(b"def f(): ...\n", symbols) == []  # "def f": no evidence


def test_rowids_name_their_file() -> None:
    assert file_of(7 * PASSAGE_SLOTS) == 7
    assert file_of(7 * PASSAGE_SLOTS + PASSAGE_SLOTS - 1) == 7


def test_refresh_replaces_an_edited_files_passages(index_repo: MakeRepo) -> None:
    repo = index_repo({"pkg/a.py": "def old_name():\n    return 'walrus tusks'\n"})
    index = CodeIndex(repo)
    index.refresh(workers=1)
    write_files(repo, {"pkg/a.py": "def new_name():\n    return 'penguin flippers'\n"})
    index.refresh(workers=1)
    conn, _ = open_db(db_path(index.state_dir))
    try:
        assert passage_scores(conn, ["walrus"]) == {}
        rows = conn.execute("SELECT rowid, words FROM passages").fetchall()
    finally:
        conn.close()
    assert [words for _rowid, words in rows] == ["pkg a def new name return penguin flippers"]


def test_a_file_scores_by_its_best_definition(index_repo: MakeRepo) -> None:
    """The file with one function about the task beats the file that has every task
    word somewhere, in different functions."""
    scattered = "\n\n".join(
        f"def helper_{n}(value):\n    '''Some {word} handling.'''\n    return value\n"
        for n, word in enumerate(["upload", "retry", "socket", "timeout", "stream", "chunk"])
    )
    focused = (
        "def resend(conn):\n    '''Retry the upload when the socket hits a timeout.'''\n"
        "    return conn\n\n\ndef unrelated(a, b):\n    return a + b\n"
    )
    repo = index_repo({"pkg/helpers.py": scattered, "pkg/transfer.py": focused})
    index = CodeIndex(repo)
    index.refresh(workers=1)
    conn, _ = open_db(db_path(index.state_dir))
    try:
        paths = dict(conn.execute("SELECT id, path FROM files"))
        scores = passage_scores(conn, query_words("retry the upload on socket timeout"))
    finally:
        conn.close()
    best = max(scores, key=lambda f: scores[f])
    assert paths[best] == "pkg/transfer.py"


# A long utility module: every word of the task somewhere, none of it together.
SCATTERED = "\n\n".join(
    f"def {name}(value):\n    '''{doc}'''\n    return value\n"
    for name, doc in [
        ("send_chunk", "Send one chunk of the upload body."),
        ("read_reply", "Read the server reply; a retry counter is kept by callers."),
        ("open_socket", "Open the socket with keepalive."),
        ("set_timeout", "Set the timeout of the socket in seconds."),
        ("parse_headers", "Parse the headers of the upload reply."),
        ("close_stream", "Close the stream after the upload."),
        ("backoff", "Seconds to wait before a retry."),
    ]
)
FOCUSED = (
    "def resend(conn, body):\n"
    "    '''Retry the upload when the socket hits its timeout.'''\n"
    "    return conn.send(body)\n\n\n"
    "def describe(conn):\n    return repr(conn)\n"
)


def test_the_file_whose_one_function_matches_outranks_a_module_matching_all_over(
    index_repo: MakeRepo,
) -> None:
    repo = index_repo({"pkg/netutil.py": SCATTERED, "pkg/transfer.py": FOCUSED})
    index = CodeIndex(repo)
    index.refresh(workers=1)
    ranked = [path for path, _ in index.rank("retry the upload when the socket times out")]
    assert ranked[0] == "pkg/transfer.py"


@given(
    lines=st.lists(st.text(alphabet="ab_ (#'\"\n", max_size=12), max_size=12),
    spans=st.lists(
        st.tuples(st.integers(-2, 15), st.integers(-2, 15), st.sampled_from(["", "Outer"])),
        max_size=6,
    ),
)
def test_any_spans_cut_any_file_into_at_most_one_passage_per_definition_and_the_rest(
    lines: list[str], spans: list[tuple[int, int, str]]
) -> None:
    """Spans come from a parser of possibly broken code: out of range, reversed or
    overlapping ones must not raise, and every passage leads with the path words."""
    symbols = [("f", "function", a, b, scope, "") for a, b, scope in spans]
    texts = passage_texts("\n".join(lines).encode(), symbols, "pkg mod")
    assert len(texts) <= len(symbols) + 1
    assert all(text.startswith("pkg mod ") for text in texts)
