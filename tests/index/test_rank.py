"""Ranking: lexical + graph blend, test/source pairing, and the prior that fills the list."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from mom_cli.index import rank
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
    top = [p for p, _ in utils_index.rank("strutils: truncate at word boundaries", limit=5)]
    assert top[0] == "lib/strutils.py"
    # Lent a share of its source's score: the first test, though sources come first.
    assert top.index("tests/test_strutils.py") < top.index("tests/test_netutils.py")


def test_ranking_is_filled_by_the_prior(utils_index: CodeIndex) -> None:
    # Nothing matches: every file is still listed, most depended-upon first.
    top = utils_index.rank("zzz qqq", limit=10)
    assert len(top) == len(UTILS)
    assert top[0][0] == "lib/strutils.py"


def test_evidence_outranks_the_prior(utils_index: CodeIndex) -> None:
    top = [p for p, _ in utils_index.rank("fetch a url over the network", limit=5)]
    assert top[0] == "lib/netutils.py"
    assert top.index("tests/test_netutils.py") < top.index("lib/core.py")


def test_a_file_standing_out_of_a_flat_list_beats_a_close_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Lexical: file 1 stands clearly above ten near-equal matches, file 2 is a close
    # second; history: file 2 is slightly ahead of 1. Max-scaling alone sums to 2 first;
    # the z term (how far each stands above its signal's mean) keeps 1 first.
    lexical = {1: 10.0, 2: 9.0, **{i: 8.5 for i in range(10, 20)}}
    history = {2: 3.0, 1: 2.4, **{i: 2.2 for i in range(10, 20)}}
    weights = {"lexical": 1.0, "history": 0.6}

    def best() -> int:
        scores = rank.fuse({"lexical": lexical, "history": history}, weights)
        return max(scores, key=lambda i: scores[i])

    assert rank.Z_SHARE > 0
    assert best() == 1
    monkeypatch.setattr(rank, "Z_SHARE", 0.0)
    assert best() == 2


def test_standard_scores_of_equal_values_do_not_divide_by_zero() -> None:
    assert rank.standard_scores([2.0, 2.0, 2.0]) == (2.0, 1.0)


def test_a_module_named_by_import_path_is_found(index_repo: MakeRepo, tmp_path: Path) -> None:
    # "the shop.routing API" names a package by its import path. No word search finds its
    # __init__.py (it holds only imports); the routing modules hold the words.
    repo = index_repo(
        {
            "src/shop/routing/__init__.py": "from .rules import Rule\nfrom .map import Map\n",
            "src/shop/routing/rules.py": "class Rule:\n    '''One routing rule.'''\n",
            "src/shop/routing/map.py": "class Map:\n    '''Routing map of rules.'''\n",
            "src/shop/app.py": "from shop.routing import Map\n\nROUTES = Map()\n",
        }
    )
    (tmp_path / "state").mkdir()
    index = CodeIndex(repo, tmp_path / "state")
    index.refresh()

    top = [p for p, _ in index.rank("Restore the error as part of the shop.routing API", limit=5)]

    assert top[0] == "src/shop/routing/__init__.py"
    by_path = {"src/shop/routing/rules.py": 1, "src/shop/routing/__init__.py": 2}
    assert rank.named_modules("see shop.routing.rules.Rule", by_path) == {1: 1.0}
    assert rank.named_modules("e.g. version 2.1 or x.y", {"src/shop/app.py": 4}) == {}
