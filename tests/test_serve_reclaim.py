"""Reclaiming visitors' kernels on a fake clock: which kernels are due, without kernels or timers."""

from __future__ import annotations

import time

import pytest

from mdvax.serve.kernels import MdvaxKernelManager, Timeouts, Visit, overdue
from tests.support import aio

#: Not the defaults (15 s to connect, 120 s to render, the culler's 60 s idle).
TIMEOUTS = Timeouts(connect=7.0, render=40.0, idle=25.0)


class FakeClock:
    """A monotonic clock that moves only when told."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def first_due(visits, connected_until, clock, step=0.5, ticks=200):
    """The clock time at which each kernel is first reported due, ticking by ``step``."""
    seen = {}
    for _ in range(ticks):
        connected = [k for k, until in connected_until.items() if clock() < until]
        for kernel_id in overdue(visits, connected, clock(), TIMEOUTS):
            seen.setdefault(kernel_id, clock())
        clock.advance(step)
    return seen


def test_each_kind_of_page_is_reclaimed_after_its_own_timeout():
    clock = FakeClock(1000.0)
    visits = {
        "sent": Visit("198.51.100.4", since=clock(), page_done=True),  # never connects
        "rendering": Visit("198.51.100.4", since=clock()),  # page still being rendered
        "connected": Visit("198.51.100.9", since=clock()),  # connected throughout
        "left": Visit("198.51.100.9", since=clock()),  # connected, then its page left
    }
    start, left_at = clock(), 1012.0
    connected_until = {"connected": float("inf"), "left": left_at}
    seen = first_due(visits, connected_until, clock)
    # Due on the first tick strictly past the deadline (ticks are 0.5 s apart).
    assert seen == {
        "sent": start + TIMEOUTS.connect + 0.5,
        "rendering": start + TIMEOUTS.render + 0.5,
        # last seen on the tick before it left, then the idle timeout
        "left": (left_at - 0.5) + TIMEOUTS.idle + 0.5,
    }
    assert visits["connected"].connected
    assert visits["connected"].since == clock() - 0.5


def test_a_page_within_its_timeout_is_kept_and_a_connection_resets_the_wait():
    clock = FakeClock(50.0)
    visit = Visit("203.0.113.20", since=clock(), page_done=True)
    visits = {"k": visit}
    clock.advance(TIMEOUTS.connect)  # exactly at the limit: not yet
    assert overdue(visits, [], clock(), TIMEOUTS) == []
    assert overdue(visits, ["k"], clock(), TIMEOUTS) == []  # it connects just in time
    assert (visit.connected, visit.since) == (True, 57.0)
    clock.advance(TIMEOUTS.connect + 1)  # past the connect timeout, within the idle one
    assert overdue(visits, [], clock(), TIMEOUTS) == []
    clock.advance(TIMEOUTS.idle - TIMEOUTS.connect)
    assert overdue(visits, [], clock(), TIMEOUTS) == ["k"]


@pytest.fixture
def manager(tmp_path):
    clock = FakeClock(300.0)
    manager = MdvaxKernelManager(
        clock=clock, connect_timeout=9.0, render_timeout=33.0, root_dir=str(tmp_path)
    )
    yield manager, clock
    manager.context.destroy(linger=0)


def test_the_manager_stamps_visits_on_its_clock(manager):
    manager, clock = manager
    assert manager.clock is clock
    manager.visits["k"] = Visit("192.0.2.8", since=clock())
    clock.advance(12.5)  # rendering took 12.5 s
    manager.page_sent("k")
    assert (manager.visits["k"].page_done, manager.visits["k"].since) == (True, 312.5)
    clock.advance(4.0)
    manager.page_sent("k")  # once: a second end of the request does not restart the wait
    assert manager.visits["k"].since == 312.5


def test_reclaim_forgets_visits_of_kernels_that_are_gone(manager):
    manager, clock = manager
    manager.visits["gone"] = Visit("192.0.2.8", since=clock(), page_done=True)
    clock.advance(100.0)  # long overdue, but there is no such kernel to shut down
    assert aio.run(manager.reclaim()) == []
    assert manager.visits == {}


def test_the_default_clock_is_monotonic():
    assert MdvaxKernelManager.clock.default_value is time.monotonic
