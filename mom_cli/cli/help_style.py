"""--help without a `<bool>` beside every flag.

Typer prints each option's type in its own column, flags included, so `--dry-run <bool>`
reads as if the flag took a value. A flag's metavar set to "" leaves that column empty;
options that take a value keep their type (`<path>`, `<int>`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup


def _plain_flags(params: list[Any]) -> list[Any]:
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    return params


class MomCommand(TyperCommand):
    def get_params(self, ctx: Any) -> list[Any]:
        return _plain_flags(super().get_params(ctx))


class MomGroup(TyperGroup):
    def get_params(self, ctx: Any) -> list[Any]:
        return _plain_flags(super().get_params(ctx))


class MomTyper(typer.Typer):
    """A Typer app whose commands and sub-groups all use the classes above."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", MomGroup)
        super().__init__(**kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Callable[[Any], Any]:
        kwargs.setdefault("cls", MomCommand)
        return super().command(*args, **kwargs)
