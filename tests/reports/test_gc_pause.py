"""The collector pause used while big documents are built."""

import gc
import threading

import pytest

from reports.gc_pause import gc_paused


def test_pause_nests_and_restores_the_collector_even_after_an_error():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with pytest.raises(ValueError), gc_paused():
            raise ValueError("boom")
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off():
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_pauses_in_two_threads_end_with_the_collector_on():
    inside, release = threading.Barrier(3), threading.Event()

    def render():
        with gc_paused():
            inside.wait()
            release.wait(5)

    threads = [threading.Thread(target=render) for _ in range(2)]
    for t in threads:
        t.start()
    inside.wait()
    assert not gc.isenabled()
    release.set()
    for t in threads:
        t.join()
    assert gc.isenabled()
