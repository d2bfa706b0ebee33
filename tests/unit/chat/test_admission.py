"""Tests of chat/admission.py: whom the server's door lets in and how fast, on a clock of
the test's own."""

import pytest

from _chat_curses.chat.admission import (
    ACCEPT_PAUSE,
    GUESS_FORGET,
    GUESS_PAUSE_CAP,
    MAX_CANDIDATES,
    REPLACEMENTS_PER_SECOND,
    Admission,
    Answer,
    answer,
    weakest,
)

T = 500.0


@pytest.mark.parametrize("chat_on, brings, has_secret, require_code, expected", [
    (False, "code", False, False, Answer.NEW),  # a newcomer with the code starts the chat
    (False, "none", False, False, Answer.NEW),  # unverified, but allowed
    (False, "none", False, True, Answer.REFUSE),  # --require-code
    (False, "secret", True, False, Answer.NEW),
    (False, "code", True, False, Answer.REFUSE),  # the secret takes the code's place
    (False, "secret", False, False, Answer.REFUSE),  # a secret the server does not have
    (False, "resume", False, False, Answer.CHAT_OVER),  # no chat to resume
    (True, "resume", False, False, Answer.RESUME),  # the partner; the handshake proves it
    (True, "code", False, False, Answer.BUSY),  # a stranger while a chat is on
    (True, "secret", True, False, Answer.BUSY),
])
def test_a_hello_gets_what_the_chat_and_the_server_allow(chat_on, brings, has_secret,
                                                          require_code, expected):
    verdict, words = answer(chat_on, brings, has_secret, require_code)
    assert verdict is expected and bool(words) == (expected is Answer.REFUSE)


def test_refusals_say_why_in_words_both_sides_read_right():
    assert answer(False, "code", True, False)[1] == (
        "the server uses a shared secret and the client has none")
    assert answer(False, "secret", False, False)[1] == (
        "the client uses a shared secret and the server has none")
    assert "--require-code" in answer(False, "none", False, True)[1]


# --- squatters ------------------------------------------------------------------------


class Candidate:
    def __init__(self, name, frames, last):
        self.name, self.progress = name, (frames, last)


def test_the_weakest_has_the_fewest_frames_then_the_longest_silence():
    candidates = [Candidate("said hello", 1, T), Candidate("silent since", 0, T - 5),
                  Candidate("silent longer", 0, T - 9)]
    assert weakest(candidates).name == "silent longer"


def test_a_free_place_is_always_room():
    admission = Admission()
    assert all(admission.room(running, T) for running in range(MAX_CANDIDATES))
    assert not admission.must_replace(MAX_CANDIDATES - 1, T)


def test_replacements_are_spaced_evenly_and_the_listener_rests_in_between():
    admission = Admission()
    full = MAX_CANDIDATES
    assert admission.room(full, T) and admission.must_replace(full, T)  # the first at once
    spacing = 1 / REPLACEMENTS_PER_SECOND
    assert not admission.room(full, T + spacing / 2)
    assert not admission.accepting(T + spacing / 2)  # it rests until the next may go
    assert admission.accepting(T + spacing) and admission.room(full, T + spacing)


def test_no_more_than_fifty_squatters_a_second_are_replaced():
    admission, replaced = Admission(), 0
    for millisecond in range(1000):  # a flood: a newcomer every millisecond for a second
        now = T + millisecond / 1000
        if admission.room(MAX_CANDIDATES, now) and admission.must_replace(MAX_CANDIDATES, now):
            replaced += 1
    assert REPLACEMENTS_PER_SECOND - 1 <= replaced <= REPLACEMENTS_PER_SECOND


def test_accept_failing_rests_the_listener_and_is_said_once_per_run():
    admission = Admission()
    assert admission.accept_failed(T) is True
    assert not admission.accepting(T + ACCEPT_PAUSE - 0.01) and admission.accepting(T + ACCEPT_PAUSE)
    assert admission.accept_failed(T + 1) is False  # still failing: said already
    admission.accepted()
    assert admission.accept_failed(T + 5) is True  # a new run of failures


# --- guessing the secret -----------------------------------------------------------------


def test_hellos_are_answered_at_once_until_a_wrong_proof():
    admission = Admission()
    assert not admission.holding_back()
    assert all(admission.may_answer(T + i * 0.01) for i in range(10))


def test_after_wrong_proofs_answers_slow_down_doubling_to_the_cap():
    admission = Admission()
    pauses = []
    for number in range(6):
        first = admission.wrong_proof(T)
        assert first is (number == 0)  # said the first time only
        pauses.append(admission.pause())
    assert pauses == [1, 2, 4, 8, 8, 8] and GUESS_PAUSE_CAP == 8
    assert admission.holding_back()


def test_each_answer_after_a_wrong_proof_waits_its_pause():
    admission = Admission()
    admission.wrong_proof(T)
    assert not admission.may_answer(T + 0.99)
    assert admission.may_answer(T + 1.0)  # one answered; the next waits a pause more
    assert not admission.may_answer(T + 1.5) and admission.may_answer(T + 2.0)


def test_a_good_handshake_resets_the_pace():
    admission = Admission()
    for _ in range(3):
        admission.wrong_proof(T)
    admission.good_handshake()
    assert admission.wrong_proof(T + 10) is True and admission.pause() == 1


def test_wrong_guesses_are_forgotten_after_a_quiet_while():
    admission = Admission()
    for _ in range(4):
        admission.wrong_proof(T)
    assert admission.pause() == 8
    assert admission.may_answer(T + GUESS_FORGET)  # a minute without a guess
    assert admission.wrong_proof(T + GUESS_FORGET + 1) is True and admission.pause() == 1


def test_a_hello_in_line_for_its_answer_is_never_replaced():
    """Every place holds a hello waiting while answers are held back: newcomers wait
    in the kernel's queue, in order, rather than push the longest waiting out."""
    admission = Admission()
    assert not admission.room(MAX_CANDIDATES, T, replaceable=0)
    assert not admission.accepting(T) and admission.accepting(T + 1 / REPLACEMENTS_PER_SECOND)
    assert admission.room(MAX_CANDIDATES, T + 1, replaceable=1)  # one that may go
