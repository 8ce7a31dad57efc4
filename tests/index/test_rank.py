"""Ranking: lexical + graph blend, test/source pairing, and the prior that fills the list."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from mom_cli.index.api import CodeIndex
from mom_cli.index.pairs import partners_by_file, stem_key

MakeRepo = Callable[[Mapping[str, str | bytes]], Path]

UTILS: dict[str, str | bytes] = {
    "lib/strutils.py": "def pad(text, width):\n    return text.ljust(width)\n",
    "lib/netutils.py": "from lib.strutils import pad\n\n\ndef fetch(url):\n"
    "    return pad(url, 9)\n",
    "lib/core.py": "from lib.strutils import pad\n\n\ndef run():\n    return pad('x', 3)\n",
    "tests/test_strutils.py": "from lib.strutils import pad\n\n\ndef test_pad():\n"
    "    assert pad('a', 2) == 'a '\n",
    "tests/test_netutils.py": "from lib.netutils import fetch\n\n\ndef test_fetch():\n"
    "    assert fetch('u')\n",
}


@pytest.fixture
def utils_index(index_repo: MakeRepo, tmp_path: Path) -> CodeIndex:
    repo = index_repo(UTILS)
    (tmp_path / "state").mkdir()
    index = CodeIndex(repo, tmp_path / "state")
    index.refresh()
    return index


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("boltons/strutils.py", ("strutils", False)),
        ("tests/test_strutils.py", ("strutils", True)),
        ("pkg/client_test.go", ("client", True)),
        ("src/button.test.tsx", ("button", True)),
        ("src/Parser.spec.js", ("parser", True)),
        ("src/main/FooTest.java", ("foo", True)),
        ("src/Foo.java", ("foo", False)),
        ("latest.py", ("latest", False)),
    ],
)
def test_stem_key(path: str, key: tuple[str, bool]) -> None:
    assert stem_key(path) == key


def test_partners_pair_source_and_test_only() -> None:
    paths = {1: "a/strutils.py", 2: "tests/test_strutils.py", 3: "a/core.py", 4: "t/__init__.py",
             5: "b/__init__.py", 6: "tests/test_core_extra.py"}  # fmt: skip
    assert partners_by_file(paths) == {1: [2], 2: [1]}


def test_query_naming_no_symbol_finds_file_by_path_words(utils_index: CodeIndex) -> None:
    # No identifier of the repo is named; only a path word ("strutils") links the task to it.
    top = [p for p, _ in utils_index.rank("strutils: truncate at word boundaries", limit=3)]
    assert top[0] == "lib/strutils.py"
    assert "tests/test_strutils.py" in top  # lent a share of its source's score


def test_ranking_is_filled_by_the_prior(utils_index: CodeIndex) -> None:
    # Nothing matches: every file is still listed, most depended-upon first.
    top = utils_index.rank("zzz qqq", limit=10)
    assert len(top) == len(UTILS)
    assert top[0][0] == "lib/strutils.py"


def test_evidence_outranks_the_prior(utils_index: CodeIndex) -> None:
    top = [p for p, _ in utils_index.rank("fetch a url over the network", limit=5)]
    assert top[0] == "lib/netutils.py"
    assert top.index("tests/test_netutils.py") < top.index("lib/core.py")
