"""Still pictures are drawn after the checks, off the event loop, and pages are rate-limited
per client (issue 22, item 2): the real application in-process, real data, no kernels.

A refused request (over its request rate, its kernel share or the global cap) must not draw a
still picture: each test counts the drawings (every call of ``render_view``) during an attack
bounded in count and time, from one client and from several, and checks that an honest
visitor from another address still gets its page with the still picture of its own view.
The same with a live map, on a real server: ``tests/test_serve_hostile_views.py``.
"""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import date, timedelta

import pytest

from mdvax.serve import static_view
from mdvax.serve.ratelimit import MAX_CLIENTS, PageRateLimit
from mdvax.serve.static_view import FAILED_NOTICE, StaticViews
from tests.support import aio
from tests.support.inproc_server import bare_server, fetch

#: None of these is a default (2 per client, 20 at once, 0.5 a second, 10 s).
MAX_KERNELS, PER_CLIENT, BURST, RATE, RETRY_AFTER = 5, 3, 4, 0.05, 17
#: Seconds an empty bucket waits for its next token: ceil(1 / RATE).
RATE_WAIT = 20
#: Days of the 2021-03-30 snapshot the views ask for (none is the default, the last).
FIRST_DAY = date(2021, 1, 5)
#: Seconds an attack may take, at most.
ATTACK_S = 60


class Drawings:
    """Every drawing of a still picture: the thread it ran in and the day it showed.

    A drawing of a day in ``hold`` waits for ``go`` (set by the test) before it starts.
    """

    def __init__(self, monkeypatch) -> None:
        self.calls: list[tuple[str, date]] = []
        self.hold: set[date] = set()
        self.go = threading.Event()
        real = static_view.render_view

        def spy(data, state):
            self.calls.append((threading.current_thread().name, state.date))
            if state.date in self.hold:
                assert self.go.wait(ATTACK_S)
            return real(data, state)

        monkeypatch.setattr(static_view, "render_view", spy)


def view(n: int, measure: str = "first_dose") -> tuple[date, str]:
    """The ``n``-th distinct view of an attack: its day and its query."""
    day = FIRST_DAY + timedelta(days=n)
    return day, f"?date={day.isoformat()}&measure={measure}&per_capita=0&daily={n % 2}"


def visitor(address: str) -> dict:
    """Headers of a request the trusted proxy (the test, on loopback) forwards for ``address``."""
    return {"X-Forwarded-For": address}


def run(tmp_path, scenario):
    """``scenario(app, base, views)`` on the in-process server, still pictures loaded."""

    async def main():
        server = bare_server(
            tmp_path,
            MAX_KERNELS,
            f"--MdvaxVoila.kernels_per_client={PER_CLIENT}",
            f"--MdvaxVoila.page_burst={BURST}",
            f"--MdvaxVoila.page_rate={RATE}",
            f"--MdvaxVoila.retry_after={RETRY_AFTER}",
            "--MdvaxVoila.trusted_proxies=127.0.0.1",
        )
        async with server as (app, base):
            views = app.static_views = StaticViews()  # the dashboard's (a bare page has none)
            await asyncio.wrap_future(views.start())
            for _ in range(600):  # the default view is drawn once the data is in
                if await views.cached(""):
                    break
                await asyncio.sleep(0.05)
            return await asyncio.wait_for(scenario(app, base, views), ATTACK_S)

    return aio.run(main())


def hold(app, clients: list[str]) -> list:
    """Tickets of admitted requests of ``clients`` waiting for kernels (they fill the caps)."""
    return [app.admission.admit(client) for client in clients]


def let_go(app, held: list) -> None:
    for ticket, token in reversed(held):
        app.admission.release(ticket, token)


def check_honest(response, day: date) -> None:
    """A live page (its kernel fails in-process) that opens with the still picture of ``day``."""
    page = response.body.decode()
    assert response.code == 200
    assert page.index('id="mdvax-static"') < page.index(FAILED_NOTICE)
    assert f"on {day.day} {day:%b %Y}" in page  # the still picture's title: that view's day
    assert page.count("<path") >= 24


@pytest.mark.usefixtures("filled_data_dir")
def test_one_client_flooding_new_views_draws_nothing_and_gets_429(tmp_path, monkeypatch):
    drawings = Drawings(monkeypatch)
    attacker, honest = "198.51.100.7", "192.0.2.44"
    count = 40

    async def scenario(app, base, views):
        drawn_before = len(drawings.calls)
        held = hold(app, [attacker] * PER_CLIENT)  # the attacker holds its kernel share
        answers = [
            await fetch(f"{base}{view(n)[1]}", headers=visitor(attacker)) for n in range(count)
        ]
        drawn_by_attack = len(drawings.calls) - drawn_before
        health = await fetch(f"{base}healthz")
        day, query = view(count + 3, "fully_vaccinated")
        honest_page = await fetch(f"{base}{query}", headers=visitor(honest))
        let_go(app, held)
        return answers, drawn_by_attack, health, (day, honest_page)

    answers, drawn_by_attack, health, (day, honest_page) = run(tmp_path, scenario)
    assert drawn_by_attack == 0
    statuses = [a.code for a in answers]
    assert statuses == [429] * count
    share, rate = answers[:BURST], answers[BURST:]
    for answer in share:  # within its rate, over its kernel share
        assert answer.headers["Retry-After"] == str(RETRY_AFTER)
        assert f"this address holds {PER_CLIENT} live pages" in answer.body.decode()
    for answer in rate:
        assert answer.headers["Retry-After"] == str(RATE_WAIT)
        assert "asked for the dashboard too often" in answer.body.decode()
        assert 'id="mdvax-static"' not in answer.body.decode()  # never drawn: none to show
    assert json.loads(health.body)["rate_limited"] == count - BURST
    check_honest(honest_page, day)
    # The honest visitor's view was drawn once, in the drawing thread, not on the event loop.
    assert [call for call in drawings.calls if call[1] == day] == [("mdvax-draw_0", day)]
    assert all(name.startswith("mdvax-draw") for name, _ in drawings.calls)


@pytest.mark.usefixtures("filled_data_dir")
def test_several_clients_at_the_global_cap_draw_nothing(tmp_path, monkeypatch):
    drawings = Drawings(monkeypatch)
    attackers = [f"203.0.113.{n}" for n in (11, 12, 13, 14)]
    fillers = [f"198.51.100.{n // PER_CLIENT + 30}" for n in range(MAX_KERNELS)]
    per_attacker = 12

    async def scenario(app, base, views):
        drawn_before = len(drawings.calls)
        held = hold(app, fillers)  # every visitor slot taken: new clients get 503

        async def attack(k: int, client: str) -> list:
            queries = [view(k * per_attacker + n)[1] for n in range(per_attacker)]
            return [await fetch(f"{base}{q}", headers=visitor(client)) for q in queries]

        answers = await asyncio.gather(*(attack(k, c) for k, c in enumerate(attackers)))
        drawn_by_attack = len(drawings.calls) - drawn_before
        busy_default = await fetch(base, headers=visitor("192.0.2.70"))  # drawn at start-up
        let_go(app, held)
        day, query = view(per_attacker * len(attackers) + 2, "at_least_one")
        honest_page = await fetch(f"{base}{query}", headers=visitor("192.0.2.71"))
        return answers, drawn_by_attack, busy_default, (day, honest_page)

    answers, drawn_by_attack, busy_default, (day, honest_page) = run(tmp_path, scenario)
    assert drawn_by_attack == 0
    for client_answers in answers:
        assert [a.code for a in client_answers] == [503] * BURST + [429] * (per_attacker - BURST)
        assert all('id="mdvax-static"' not in a.body.decode() for a in client_answers)
    assert busy_default.code == 503
    assert 'id="mdvax-static"' in busy_default.body.decode()  # the default view, already drawn
    check_honest(honest_page, day)
    assert [call for call in drawings.calls if call[1] == day] == [("mdvax-draw_0", day)]


@pytest.mark.usefixtures("filled_data_dir")
def test_a_refused_request_shares_a_drawing_under_way_and_starts_none(tmp_path, monkeypatch):
    drawings = Drawings(monkeypatch)
    day, query = view(30, "fully_vaccinated")
    drawings.hold.add(day)
    refused_client = "198.51.100.60"

    async def scenario(app, base, views):
        held = hold(app, [refused_client] * PER_CLIENT)
        admitted = asyncio.create_task(fetch(f"{base}{query}", headers=visitor("192.0.2.61")))
        while (len(drawings.calls) == 0 or drawings.calls[-1][1] != day) and not admitted.done():
            await asyncio.sleep(0.01)  # the admitted request's drawing has started, held
        refused = asyncio.create_task(fetch(f"{base}{query}", headers=visitor(refused_client)))
        other = await fetch(f"{base}{view(31)[1]}", headers=visitor(refused_client))
        await asyncio.sleep(0.3)  # the refused request waits for the drawing under way
        drawings.go.set()
        answers = await admitted, await refused, other
        let_go(app, held)
        return answers

    admitted, refused, other = run(tmp_path, scenario)
    check_honest(admitted, day)
    assert refused.code == 429
    assert f"on {day.day} {day:%b %Y}" in refused.body.decode()  # the same drawing
    assert [call for call in drawings.calls if call[1] == day] == [("mdvax-draw_0", day)]
    assert other.code == 429
    assert 'id="mdvax-static"' not in other.body.decode()  # a view nobody is drawing: none
    assert view(31)[0] not in {called_day for _, called_day in drawings.calls}


def test_token_buckets_refill_at_the_rate_and_forget_the_oldest_clients():
    now = [1000.0]
    limit = PageRateLimit(rate=0.25, burst=3, clock=lambda: now[0])
    assert [limit.take("a") for _ in range(4)] == [0, 0, 0, 4]  # 1 token / 0.25 a second
    assert limit.take("b") == 0  # another client has its own bucket
    now[0] += 2.5  # 0.625 of a token since the refusal
    assert limit.take("a") == 2  # ceil(0.375 / 0.25)
    now[0] += 2
    assert limit.take("a") == 0
    now[0] += 3600
    assert [limit.take("a") for _ in range(4)] == [0, 0, 0, 4]  # full again, never above burst
    assert limit.refused == 3
    for n in range(MAX_CLIENTS + 5):
        limit.take(f"10.0.{n // 256}.{n % 256}")
    assert len(limit) == MAX_CLIENTS
    assert limit.take("a") == 0  # forgotten: a full bucket again


@pytest.mark.parametrize(("rate", "burst", "message"), [(0, 3, "rate"), (1.5, 0, "burst")])
def test_impossible_rate_limits_are_refused_by_name(rate, burst, message):
    with pytest.raises(ValueError, match=f"page {message} must be"):
        PageRateLimit(rate, burst)
