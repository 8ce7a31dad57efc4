"""Context selection: relevant, differential, summarized, and never over budget."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from index_helpers import SAMPLE_PY

from mom_cli.index.api import CodeIndex
from mom_cli.index.body_match import stem
from mom_cli.index.context import ContextSession, Mode
from mom_cli.index.tokens import estimate_tokens

MakeRepo = Callable[[Mapping[str, str | bytes]], Path]


@pytest.fixture
def index_sample(index_repo: MakeRepo, tmp_path: Path) -> CodeIndex:
    files: dict[str, str | bytes] = dict(SAMPLE_PY)
    for i in range(12):
        body = "\n".join(f"    value_{j} = compute_{i}({j})  # étape {j}" for j in range(40))
        files[f"pkg/module_{i}.py"] = f"def compute_{i}(x):\n{body}\n    return x\n"
    repo = index_repo(files)
    (tmp_path / "state").mkdir()
    index = CodeIndex(repo, tmp_path / "state")
    index.refresh()
    return index


def test_targeted_finds_the_named_symbol(index_sample: CodeIndex) -> None:
    ctx = index_sample.context("make RetryPolicy retry with backoff", budget=400)
    assert ctx.files[0][0] == "app/retry.py"
    assert ctx.excerpts[0].symbol == "RetryPolicy"
    assert "class RetryPolicy:" in ctx.text
    assert ctx.tokens <= 400 and ctx.tokens == estimate_tokens(ctx.text)


def test_task_without_symbols_still_finds_files(index_sample: CodeIndex) -> None:
    ctx = index_sample.context("the http client page download is slow", budget=300)
    assert "app/http.py" in [p for p, _ in ctx.files[:2]]


def test_differential_does_not_resend(index_sample: CodeIndex) -> None:
    session = ContextSession()
    first = index_sample.context("RetryPolicy run", budget=300, session=session)
    second = index_sample.context("RetryPolicy run", budget=300, session=session)
    assert first.excerpts[0].already_sent is False
    assert second.excerpts[0].already_sent is True
    assert "already sent" in second.text and "class RetryPolicy:" not in second.text
    restored = ContextSession.from_json(session.to_json())
    assert restored.sent == session.sent


def test_summarized_lists_modules_and_public_signatures(index_sample: CodeIndex) -> None:
    ctx = index_sample.context("retry design", budget=2000, mode="summarized")
    assert ctx.text.startswith("== modules")
    assert "class RetryPolicy:" in ctx.text
    assert "def __init__" not in ctx.text  # private names are left out


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    budget=st.integers(min_value=1, max_value=3000),
    query=st.text(alphabet="abcdefghijklmnopqrstuvwxyz_RetryPolicycompute0123 ./", max_size=40),
    summarized=st.booleans(),
)
def test_budget_is_never_exceeded(
    index_sample: CodeIndex, budget: int, query: str, summarized: bool
) -> None:
    mode: Mode = "summarized" if summarized else "targeted"
    ctx = index_sample.context(query, budget=budget, mode=mode)
    assert estimate_tokens(ctx.text) <= budget
    assert ctx.tokens <= budget
    source_lines = set()
    for path in ("app/http.py", "app/retry.py", "app/cli.py"):
        source_lines |= set((index_sample.root / path).read_text().splitlines())
    for excerpt in ctx.excerpts:  # cut only at line boundaries: every body line is whole
        if excerpt.text:  # a piece is priced from its parts: the price is its estimate
            assert excerpt.tokens == estimate_tokens(excerpt.text)
        if mode == "targeted" and excerpt.path.startswith("app/") and excerpt.text:
            for line in excerpt.text.splitlines()[1:]:
                assert line in source_lines or line.startswith("… (")


@given(st.lists(st.text(max_size=30), max_size=6))
def test_token_estimate_is_additive_over_lines(pieces: list[str]) -> None:
    pieces = [p.replace("\n", " ") for p in pieces]
    joined = "\n".join(pieces)
    expected = sum(estimate_tokens(p) for p in pieces) + max(0, len(pieces) - 1)
    assert estimate_tokens(joined) == expected


def _tokens_by_pieces(text: str) -> int:
    """The estimate's definition, one piece at a time (what tokens.py computes in C)."""
    total = 0
    for match in re.finditer(r"\w+|[^\w\s]|\n|[ \t]{2,}", text):
        piece = match.group()
        total += (len(piece) + 3) // 4 if piece[0].isalnum() or piece[0] == "_" else 1
    return total


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab_9é \t\n.(){}…日"), max_size=80))
def test_token_estimate_matches_its_definition(text: str) -> None:
    assert estimate_tokens(text) == _tokens_by_pieces(text)


def test_a_plain_word_that_names_a_module_does_not_pull_a_namesake_method(
    index_repo: MakeRepo, tmp_path: Path
) -> None:
    repo = index_repo(
        {
            "json/decoder.py": "class JSONDecoder:\n    def decode(self, s):\n        return s\n",
            "meta/adapters.py": (
                "class Message:\n    @property\n    def json(self):\n        return {}\n"
            ),
            "meta/use.py": "from meta.adapters import Message\n\nMessage().json\n",
        }
    )
    (tmp_path / "state").mkdir()
    index = CodeIndex(repo, tmp_path / "state")
    index.refresh()
    ctx = index.context("the json decoder drops unicode escapes", budget=400)
    assert ctx.excerpts[0].path == "json/decoder.py"
    # Written as code, the same word is a sure match.
    ctx = index.context("the `json` property drops unicode escapes", budget=400)
    assert ctx.excerpts[0].path == "meta/adapters.py"


WRITER = '''"""Render values as text."""


def dump(obj, fp):
    fp.write(dumps(obj))


def dumps(obj):
    return "".join(chunks(obj))


def chunks(obj):
    for key, value in obj.items():
        yield f"{key} = {render(value)}"


def render(value):
    if isinstance(value, str):
        return quote(value)
    return str(value)


def quote(s):
    """Backslash-escape control characters and quotes."""
    out = []
    for char in s:
        out.append(ESCAPES.get(char, char))
    return '"' + "".join(out) + '"'


ESCAPES = {"\\n": "\\\\n", '"': '\\\\"'}
'''


def test_the_definition_holding_the_task_words_comes_first_in_its_file(
    index_repo: MakeRepo, tmp_path: Path
) -> None:
    """Within one file, a definition whose body or docstring holds the task's words is
    shown before the file's first definitions, even when no name says so."""
    repo = index_repo({"writer.py": WRITER})
    (tmp_path / "state").mkdir()
    index = CodeIndex(repo, tmp_path / "state")
    index.refresh()
    ctx = index.context("control characters are not escaped in quoted output", budget=120)
    assert ctx.excerpts and ctx.excerpts[0].symbol == "quote"


@pytest.mark.parametrize(
    ("task_word", "code_word"),
    [("escaped", "escapes"), ("escaping", "escape"), ("strings", "string"),
     ("parsing", "parse"), ("lines", "line"), ("classes", "class")],
)  # fmt: skip
def test_stem_meets_the_words_code_uses(task_word: str, code_word: str) -> None:
    assert stem(task_word) == stem(code_word)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", max_size=20))
def test_stem_is_a_prefix_of_its_word(word: str) -> None:
    """What `_lines_holding` relies on: a line holds a word only if it holds its stem."""
    assert word.startswith(stem(word))


def test_a_huge_task_text_is_answered(index_sample: CodeIndex) -> None:
    words = " ".join(f"name{i}x" for i in range(40_000))  # more than SQLite's parameter cap
    ctx = index_sample.context(f"RetryPolicy {words}", budget=300)
    assert ctx.excerpts and ctx.tokens <= 300
