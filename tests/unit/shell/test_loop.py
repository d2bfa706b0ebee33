"""Tests of shell/loop.Waker: a thread's or a signal's write wakes a sleeping selector."""

import os
import selectors
import signal
import threading

from _chat_curses.shell.loop import Waker, signals_to


def test_a_wake_from_another_thread_ends_the_sleep_and_is_drained():
    waker = Waker()
    selector = selectors.DefaultSelector()
    selector.register(waker, selectors.EVENT_READ)
    try:
        assert selector.select(0) == []
        threading.Thread(target=waker.wake).start()
        assert len(selector.select(5)) == 1
        assert waker.drain() == bytes([Waker.THREAD_DONE])
        assert waker.drain() == b"" and selector.select(0) == []
    finally:
        selector.close()
        waker.close()


def test_a_signal_is_heard_through_the_waker():
    waker = Waker()
    try:
        with signals_to(waker):
            os.kill(os.getpid(), signal.SIGWINCH)
            selector = selectors.DefaultSelector()
            selector.register(waker, selectors.EVENT_READ)
            assert len(selector.select(5)) == 1
            selector.close()
            assert waker.drain() == bytes([signal.SIGWINCH])
    finally:
        waker.close()


def test_a_full_waker_does_not_block_the_one_who_wakes_it():
    waker = Waker()
    try:
        for _ in range(200_000):  # far more than any pipe holds
            waker.wake()
        assert len(waker.drain()) > 0
    finally:
        waker.close()
