"""Checks milestone 2, item 2. Skipped until app/cache.py exists."""

import pytest

try:
    from app import cache as cache_module
except ImportError:  # the milestone item has not been done yet
    cache_module = None


@pytest.mark.skipif(cache_module is None, reason="app/cache.py does not exist yet")
def test_lru_cache_evicts_least_recently_used() -> None:
    cache = cache_module.LRUCache(2)
    assert cache.get("a") is None
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recently used
    cache.put("c", 3)  # evicts "b"
    assert cache.get("b") is None
    assert cache.get("a") == 1
    assert cache.get("c") == 3
