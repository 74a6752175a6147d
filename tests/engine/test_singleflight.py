import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from commentluv._engine.singleflight import SingleFlight
from commentluv.errors import FetchTimeout


def _leader_running(flight, key, work):
    """Start ``work`` as the run of ``key`` on a thread; return once it is under way."""
    started = threading.Event()

    def lead():
        started.set()
        return work()

    leader = ThreadPoolExecutor(max_workers=1)
    job = leader.submit(flight.run, key, lead, wait=5)
    assert started.wait(5)
    return leader, job


def test_callers_during_a_run_share_its_result_and_the_next_call_runs_again():
    flight = SingleFlight()
    release, runs = threading.Event(), []

    def work():
        runs.append(1)
        release.wait(5)
        return "answer"

    leader, job = _leader_running(flight, "site", work)
    with ThreadPoolExecutor(max_workers=3) as pool:
        waiting = [pool.submit(flight.run, "site", work, wait=5) for _ in range(3)]
        release.set()
        assert [future.result() for future in waiting] == ["answer"] * 3
    assert job.result() == "answer"
    assert runs == [1]
    assert flight.run("site", lambda: "again", wait=5) == "again"
    leader.shutdown()


def test_a_failed_run_raises_its_error_to_every_caller_that_joined_it():
    flight = SingleFlight()
    release = threading.Event()
    error = ValueError("the run failed")

    def work():
        release.wait(5)
        raise error

    leader, job = _leader_running(flight, "site", work)
    with ThreadPoolExecutor(max_workers=2) as pool:
        waiting = [pool.submit(flight.run, "site", work, wait=5) for _ in range(2)]
        release.set()
        for future in [*waiting, job]:
            with pytest.raises(ValueError, match="the run failed") as caught:
                future.result()
            assert caught.value is error
    leader.shutdown()


def test_a_caller_stops_waiting_at_its_own_bound_while_the_run_goes_on():
    flight = SingleFlight()
    release = threading.Event()
    leader, job = _leader_running(flight, "site", lambda: release.wait(5) and "late")
    with pytest.raises(FetchTimeout):
        flight.run("site", lambda: "never", wait=0.05)
    with pytest.raises(FetchTimeout):
        flight.run("site", lambda: "never", wait=-1)  # a spent budget does not wait at all
    release.set()
    assert job.result() == "late"
    leader.shutdown()


def test_a_run_that_cannot_start_leaves_its_key_free():
    flight = SingleFlight()
    executor = ThreadPoolExecutor(max_workers=1)
    executor.shutdown()
    assert flight.start("site", lambda: "never", executor) is None
    assert flight.run("site", lambda: "ran", wait=5) == "ran"
