"""A failed doctest's place in the code, for the test tracer.

pytest reports a doctest with no `E`-marked traceback: the exception's frames are plain
`File "/abs/path.py", line N` lines and the report ends with the failing example's
`/abs/path.py:LINE: UnexpectedException`. Its node id names the docstring's owner as a
dotted path from the package (`jaraco.functools.apply`), not as the test function name
the tracer looks for.
"""

from __future__ import annotations

import doctest
import re

from mom_cli.validate.doctest_failure import parse_doctest_failure

_PY_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+\.py)", line (?P<line>\d+)')


def doctest_frames(detail: str) -> list[tuple[str, int]] | None:
    """(file as printed, line) outermost first: the failing example in its docstring, then
    the traceback's frames; None when `detail` is not a doctest report."""
    failure = parse_doctest_failure(detail)
    if failure is None:
        return None
    frames = [(failure.path, failure.line)]
    for line in detail.splitlines():
        match = _PY_FRAME.match(line)
        if match:
            frames.append((match["file"], int(match["line"])))
    return frames


def doctest_owner(file: str, name: str) -> str:
    """The docstring owner's name in its module: `jaraco.functools.apply` in
    jaraco/functools/__init__.py is `apply`, `pkg.m.C.f` in pkg/m.py is `C.f`."""
    module = file.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
    for prefix in (module, module.split(".", 1)[-1]):
        if name.startswith(prefix + "."):
            return name[len(prefix) + 1 :]
    return name


def doctest_examples_code(text: str) -> str:
    """The Python a text file's doctests run (README.rst with `--doctest-glob`), one
    example after another; "" when it has none or they do not parse."""
    try:
        examples = doctest.DocTestParser().get_examples(text)
    except ValueError:  # inconsistent indentation in the file's examples
        return ""
    return "".join(example.source for example in examples)
