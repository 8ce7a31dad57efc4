"""Checks milestone 2, item 2. Skipped until app/cache.py exists."""

import pytest


def test_lru_cache_evicts_least_recently_used() -> None:
    cache_module = pytest.importorskip("app.cache")
    cache = cache_module.LRUCache(2)
    assert cache.get("a") is None
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recently used
    cache.put("c", 3)  # evicts "b"
    assert cache.get("b") is None
    assert cache.get("a") == 1
    assert cache.get("c") == 3
