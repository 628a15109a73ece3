"""The soak's verdict (`qa bench --parts soak`), judged from made-up traffic: no app needed."""

from __future__ import annotations

import pytest

from qa.tools.cli import main
from qa.tools.soak import SoakPlan, judge
from qa.tools.soak_traffic import Outcome

PLAN = SoakPlan(minutes=4, window_minutes=1, clients=2)
START = 1000.0  # monotonic time of the first window


def traffic(
    p99_last: float = 0.3, rss_last: float = 400.0, error: str | None = None
) -> tuple[list, list]:
    """Four one-minute windows of 100 requests each (p50 0.1 s, p99 0.3 s) and one RSS sample
    a second at 400 MB; the last window's slowest requests and RSS as given; `error` fails one
    request of the second window."""
    outcomes, samples = [], []
    for w in range(4):
        for i in range(100):
            ended = START + w * 60 + i * 0.5
            slow = p99_last if w == 3 else 0.3
            seconds = slow if i >= 98 else 0.1
            failed = error if (w == 1 and i == 7) else None
            outcomes.append(Outcome("json", ended, seconds, failed))
        for s in range(60):
            samples.append((START + w * 60 + s, rss_last if w == 3 else 400.0))
    return outcomes, samples


def verdict(outcomes, samples):
    return judge("http://127.0.0.1:1", 1, PLAN, START, outcomes, samples)


def test_flat_traffic_passes_with_its_figures_per_window():
    report = verdict(*traffic())
    assert report.passed
    assert [w.requests for w in report.windows] == [100, 100, 100, 100]
    assert {w.p50_ms for w in report.windows} == {100.0}
    assert {w.p99_ms for w in report.windows} == {300.0}
    assert {w.rss_mb for w in report.windows} == {400.0}


def test_one_failed_request_fails_the_soak():
    report = verdict(*traffic(error="RequestFailed: POST /api/ask: HTTP 503"))
    assert not report.passed
    assert report.failures == ["json: RequestFailed: POST /api/ask: HTTP 503"]


@pytest.mark.parametrize("rss, passed", [(439.0, True), (441.0, False)])
def test_memory_may_grow_at_most_ten_percent(rss, passed):
    assert verdict(*traffic(rss_last=rss)).passed is passed


@pytest.mark.parametrize("p99, passed", [(0.59, True), (0.61, False)])
def test_the_last_windows_p99_may_be_at_most_twice_the_first(p99, passed):
    assert verdict(*traffic(p99_last=p99)).passed is passed


def test_a_window_without_requests_fails_the_soak():
    """A stall in the middle (the second window answers nothing) is a failed soak."""
    outcomes, samples = traffic()
    stalled = [o for o in outcomes if not START + 60 <= o.ended < START + 120]
    assert not verdict(stalled, samples).passed


def test_requests_of_the_warm_up_are_not_in_the_windows_but_their_failures_count():
    outcomes, samples = traffic()
    outcomes.append(Outcome("page", START - 5, 9.0, "RequestFailed: GET /: HTTP 500"))
    report = verdict(outcomes, samples)
    assert report.warmup_requests == 1 and sum(w.requests for w in report.windows) == 400
    assert not report.passed


def test_the_soak_targets_this_machine_only(capsys):
    assert main(["bench", "--parts", "soak", "--url", "http://example.org:7860"]) == 2
    assert "only targets this machine" in capsys.readouterr().err


def test_the_soak_runs_alone(capsys):
    assert main(["bench", "--parts", "soak,query"]) == 2
    assert "the soak runs alone" in capsys.readouterr().err
