"""Metrics: Prometheus text, and the sum over workers that --workers N needs."""

from __future__ import annotations

from pathlib import Path

from mom_cli.gateway.metrics import Metrics, SharedMetrics


def _worker(requests: int, seconds: float) -> Metrics:
    m = Metrics()
    for _ in range(requests):
        m.inc("mom_gateway_requests_total", model="m", status="200")
        m.observe("mom_gateway_request_seconds", seconds, strategy="direct")
    return m


def test_snapshots_add_up() -> None:
    total = Metrics()
    total.add(_worker(3, 0.002).snapshot())
    total.add(_worker(4, 0.2).snapshot())
    text = total.render()
    assert 'mom_gateway_requests_total{model="m",status="200"} 7' in text
    assert 'mom_gateway_request_seconds_count{strategy="direct"} 7' in text
    assert 'mom_gateway_request_seconds_bucket{strategy="direct",le="0.005"} 3' in text
    assert 'mom_gateway_request_seconds_bucket{strategy="direct",le="+Inf"} 7' in text


def test_shared_directory_sums_every_worker(tmp_path: Path) -> None:
    other = _worker(5, 0.01)
    (tmp_path / "999999.json").write_text(__import__("json").dumps(other.snapshot()))
    (tmp_path / "broken.json").write_text("{not json")  # a half-dead worker's file is skipped
    mine = _worker(2, 0.01)
    shared = SharedMetrics(tmp_path, mine)
    text = shared.combined().render()
    assert 'mom_gateway_requests_total{model="m",status="200"} 7' in text
    assert shared.own.exists()  # published for the others
    mine.inc("mom_gateway_requests_total", model="m", status="200")  # live counts, not stale
    assert 'status="200"} 8' in shared.combined().render()
