"""Tier 0, "rules": repairs driven by compiler and linter diagnostics, with no model.

`registry` (the `@rule` decorator, `propose`), one module per language
(`python_syntax`, `python_names`, `python_ruff`, `rust`, `go`, `js`), and `engine`
(the propose → apply → re-validate → keep-or-roll-back loop).
"""
