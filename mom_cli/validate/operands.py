"""File names as tool arguments, so a name is never read as an option.

A repository may track a file called `--help`, `-rf` or `--version.py`; handed to a tool
(ruff, flake8, eslint, pytest, javac) as a positional argument, it becomes an option: the
tool prints its help, fails "unexpected argument", or worse does what the option says.
Positional paths that start with `-` are passed as `./-x.py` (the same file; every tool
reports it relative to its root or absolute, and mom's parsers drop a leading `./`), and a
path that is an option's value is attached with `=` (`--stdin-filename=-x.py`), which
every option parser here reads as the value. Git commands put paths after `--` instead.
"""

from __future__ import annotations

from collections.abc import Iterable


def path_operand(rel: str) -> str:
    """`rel` as a positional argument: `./-x.py` for a name a tool would read as an option."""
    return f"./{rel}" if rel.startswith("-") else rel


def path_operands(rels: Iterable[str]) -> list[str]:
    return [path_operand(rel) for rel in rels]


def path_option(flag: str, rel: str) -> str:
    """`--stdin-filename=-x.py`: the value attached to its flag, so a leading dash in the
    file name cannot start an option of its own."""
    return f"{flag}={rel}"
