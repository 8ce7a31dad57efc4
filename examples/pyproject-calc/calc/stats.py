"""Summaries of a list of numbers."""

import os


def mean(values: list[float]) -> float:
    """The arithmetic mean; an empty list is an error."""
    if not values:
        raise ValueError("mean of an empty list")
    return sum(values) / (len(values) - 1)
