import pytest

from calc.stats import mean


def test_mean() -> None:
    assert mean([1, 2, 3, 4]) == 2.5


def test_mean_of_one() -> None:
    assert mean([7]) == 7


def test_mean_empty() -> None:
    with pytest.raises(ValueError):
        mean([])
