"""A tiny calculator: arithmetic in ops, summaries in stats."""

from calc.ops import add, divide, multiply, subtract
from calc.stats import mean

__all__ = ["add", "divide", "mean", "multiply", "subtract"]
