"""Checks milestone 2, item 1. Skipped until app/version.py exists."""

import pytest


def test_version_constant() -> None:
    version = pytest.importorskip("app.version")
    assert version.VERSION == "1.0"
