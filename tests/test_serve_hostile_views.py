"""Floods of new views against a real ``mdvax serve`` on the dashboard (issue 22, item 2).

Several clients ask for a different view in every request, bounded in count and time, while
an honest visitor from another address opens a view of its own: every drawing of a still
picture (the server's ``views_drawn`` count in ``/healthz``) is for an admitted page, the
floods get 429 with ``Retry-After``, and the honest visitor gets its page, with the still
picture of its view and a kernel that answers on the widget layer. The fast in-process
version, with the drawings counted one by one: ``tests/test_serve_page_rate.py``.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import date, timedelta

import pytest

from tests.hostile_client import assert_honest_visitor_served, forwarded, get
from tests.support.voila_server import dashboard_server

pytestmark = pytest.mark.slow  # a real server and kernels

#: None of these is a default (2 per client, 20 at once, 0.5 a second).
PER_CLIENT, BURST, RATE = 1, 3, 0.2
ATTACKERS = ("198.51.100.7", "198.51.100.8", "203.0.113.9")
#: Requests each attacker sends, and the seconds the flood may last.
PER_ATTACKER, FLOOD_S = 40, 60
FIRST_DAY = date(2021, 1, 4)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    args = (
        "--pool-size", "1", "--max-kernels", "5",  # 4 visitor slots: 3 attackers, 1 honest
        "--MdvaxVoila.trusted_proxies=127.0.0.1",
        f"--MdvaxVoila.kernels_per_client={PER_CLIENT}",
        f"--MdvaxVoila.page_burst={BURST}", f"--MdvaxVoila.page_rate={RATE}",
    )  # fmt: skip
    with dashboard_server(tmp_path_factory.mktemp("views") / "data", args=args) as running:
        yield running


def attack(server, address: str, first: int, answers: Counter, deadline: float) -> None:
    """``PER_ATTACKER`` requests from ``address``, each for a view not asked for before."""
    for n in range(first, first + PER_ATTACKER):
        if time.monotonic() > deadline:
            break
        day = FIRST_DAY + timedelta(days=n % 80)
        query = f"/?date={day.isoformat()}&measure=second_dose&daily={n // 80}&per_capita=0"
        status, headers, body = get(server, query, forwarded(address))
        rate_limited = "too often" in body
        answers[(status, rate_limited)] += 1
        if rate_limited:
            assert int(headers["Retry-After"]) >= 1


def test_view_floods_draw_only_for_admitted_pages_and_the_honest_visitor_is_served(server):
    before = server.wait_for(lambda h: h["views_drawn"] >= 1 and h["pool_ready"] >= 1, 120)
    answers: Counter = Counter()
    deadline = time.monotonic() + FLOOD_S
    threads = [
        threading.Thread(target=attack, args=(server, address, k * PER_ATTACKER, answers, deadline))
        for k, address in enumerate(ATTACKERS)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # the flood under way
    honest = "192.0.2.44"
    query = "?date=2021-03-17&measure=fully_vaccinated&per_capita=1"
    body = assert_honest_visitor_served(server, honest, query)
    for thread in threads:
        thread.join(FLOOD_S + 30)
    assert not any(thread.is_alive() for thread in threads)
    after = server.health()
    admitted = answers[(200, False)]
    assert sum(answers.values()) == len(ATTACKERS) * PER_ATTACKER
    assert 1 <= admitted <= 2 * len(ATTACKERS)  # one kernel each, maybe again once reclaimed
    # The rest refused: over their rate (429, most) or their kernel share (429, few).
    assert answers[(429, True)] >= len(ATTACKERS) * (PER_ATTACKER - BURST - 2)
    assert set(answers) <= {(200, False), (429, True), (429, False)}
    # Drawn: the attackers' admitted pages and the honest visitor's, nothing else.
    assert after["views_drawn"] - before["views_drawn"] == admitted + 1
    assert after["rate_limited"] - before["rate_limited"] == answers[(429, True)]
    still = body.split('id="mdvax-static"', 1)[1].split("</section>", 1)[0]
    assert "Fully vaccinated (% of population) on 17 Mar 2021" in still  # its view's picture
    assert still.count("<path") >= 24
