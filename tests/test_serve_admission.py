"""The kernel caps: who is admitted to a live page, and how waiting requests count."""

from __future__ import annotations

from mdvax.serve.admission import Admission


def test_a_client_at_its_share_is_refused_with_429_others_still_admitted():
    admission = Admission(visitor_slots=5, per_client=2)
    assert admission.refusal("a", held=1, in_use=1) is None
    assert admission.refusal("a", held=2, in_use=2) == 429
    assert admission.refusal("b", held=0, in_use=2) is None


def test_waiting_requests_count_against_both_caps_until_released():
    admission = Admission(visitor_slots=3, per_client=2)
    first, first_token = admission.admit("a")
    second, second_token = admission.admit("a")
    assert admission.refusal("a", held=0, in_use=0) == 429  # two waiting already
    third, third_token = admission.admit("b")
    assert admission.refusal("c", held=0, in_use=0) == 503  # three slots, three waiting
    admission.release(third, third_token)
    admission.release(second, second_token)
    admission.release(first, first_token)
    assert (admission.waiting, dict(admission.waiting_by_client)) == (0, {})
    assert admission.refusal("c", held=0, in_use=2) is None


def test_a_kernel_handed_out_is_recorded_once_for_the_current_request():
    taken = []

    class Manager:  # what Admission calls on the kernel manager: take(kernel_id, client)
        def take(self, kernel_id, client):
            taken.append((kernel_id, client))

    admission = Admission(visitor_slots=4, per_client=2)
    ticket, token = admission.admit("203.0.113.7")
    admission.kernel_taken(Manager(), "k-1")
    assert (ticket.kernel_id, ticket.waiting, admission.waiting) == ("k-1", False, 0)
    admission.release(ticket, token)  # already assigned: not subtracted twice
    assert admission.waiting == 0
    admission.kernel_taken(Manager(), "k-2")  # a pool refill outside any request
    assert taken == [("k-1", "203.0.113.7"), ("k-2", "")]
