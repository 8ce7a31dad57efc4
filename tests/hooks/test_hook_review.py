"""`validation.hook_use_model`: the pre-commit hook asks the local model to review the diff."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fakes.scripted import ScriptedCaller, always

from mom_cli.config import MomConfig
from mom_cli.hooks import precommit
from mom_cli.providers import review

GOOD = "def add(a: int, b: int) -> int:\n    return a + b\n"
CHANGED = GOOD + "\n\ndef sub(a: int, b: int) -> int:\n    return a - b\n"


@pytest.fixture
def staged(make_repo: Callable[..., Path], run_git: Callable[..., str]) -> Path:
    repo = make_repo({"calc/__init__.py": "", "calc/ops.py": GOOD})
    (repo / "calc/ops.py").write_text(CHANGED)
    run_git(repo, "add", "calc/ops.py")
    return repo


def use_model(monkeypatch: pytest.MonkeyPatch, repo: Path, reply: str) -> ScriptedCaller:
    (repo / "routing.toml").write_text("[validation]\nhook_use_model = true\n")
    fake = ScriptedCaller(usable=("smollm2",), default=always(reply))

    def reviewer(config: MomConfig) -> review.LocalReviewer | None:
        return review.local_reviewer(config, fake)

    monkeypatch.setattr(review, "hook_reviewer", reviewer)
    return fake


def test_low_review_score_blocks_the_commit(
    staged: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = use_model(monkeypatch, staged, "SCORE: 0.1 - sub is not asked for")
    assert precommit.main(["--repo", str(staged)]) == 1
    assert "sub is not asked for" in capsys.readouterr().err
    assert "+def sub" in fake.prompts[0]  # the staged diff was reviewed


def test_unparseable_review_warns_and_passes(
    staged: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_model(monkeypatch, staged, "```python\nprint('hello')\n```")
    assert precommit.main(["--repo", str(staged)]) == 0
    assert "unparseable review" in capsys.readouterr().err


def test_no_model_is_called_unless_configured(
    staged: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def forbidden(config: MomConfig) -> None:
        raise AssertionError("the hook built a model reviewer without hook_use_model")

    monkeypatch.setattr(review, "hook_reviewer", forbidden)
    assert precommit.main(["--repo", str(staged)]) == 0
