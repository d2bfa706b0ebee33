"""Tests of shell/loop: a thread's or a signal's write wakes a sleeping selector (Waker);
the loop's selector is made at its first sleep (EventLoop)."""

import os
import selectors
import signal
import threading

import pytest

from _chat_curses.shell.loop import READ, WRITE, EventLoop, Waker, signals_to


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


def test_the_loop_names_the_events_as_selectors_does():
    assert (READ, WRITE) == (selectors.EVENT_READ, selectors.EVENT_WRITE)


def test_the_selector_is_made_at_the_first_sleep_with_what_was_watched_before():
    loop, waker, heard = EventLoop(), Waker(), []

    class App:
        exit_code = None

        def before_sleep(self):
            heard.append(("drawn, no selector yet", loop.selector is None))

        def seconds_to_deadline(self):
            return 5.0

        def on_time(self, now):
            pass

    app = App()

    def on_wake(mask):
        heard.append(("woken", mask, waker.drain()))
        app.exit_code = 0

    try:
        loop.watch(waker, on_wake)
        waker.wake()
        loop.run(app)
        assert heard == [("drawn, no selector yet", True), ("woken", READ, bytes([Waker.THREAD_DONE]))]
    finally:
        waker.close()


@pytest.mark.parametrize("seconds, timers_run", [(5.0, 0), (None, 0), (0.0, 1)])
def test_time_alone_is_handled_only_once_the_deadline_named_has_come(seconds, timers_run):
    """A wake-up for a key or a message before any deadline runs no timer."""
    loop, waker, times = EventLoop(), Waker(), []

    class App:
        exit_code = None

        def before_sleep(self):
            waker.wake()  # something to wake for at once: a key, say

        def seconds_to_deadline(self):
            return seconds

        def on_time(self, now):
            times.append(now)

    app = App()

    def on_wake(mask):
        waker.drain()
        app.exit_code = 0

    try:
        loop.watch(waker, on_wake)
        loop.run(app)
        assert len(times) == timers_run
    finally:
        waker.close()


def test_a_file_closed_by_an_earlier_callback_of_the_same_wake_is_not_called():
    """Both ready at once; whichever is called first closes the other (and a new file
    may take its number): the other's callback never runs."""
    loop, first, second, called = EventLoop(), Waker(), Waker(), []
    fresh = []

    class App:
        exit_code = None
        turns = 0

        def before_sleep(self):
            if not self.turns:
                first.wake()
                second.wake()
            self.turns += 1

        def seconds_to_deadline(self):
            return 5.0 if self.turns == 1 else 0.0  # the second turn ends the run

        def on_time(self, now):
            self.exit_code = 0

    app = App()

    def closes_the_other(this, other):
        def callback(mask):
            called.append(this)
            this.drain()
            loop.unwatch(other)
            other.close()
            fresh.append(Waker())  # may reuse the closed one's numbers
            loop.watch(fresh[-1], lambda mask: called.append("fresh"))
        return callback

    try:
        loop.watch(first, closes_the_other(first, second))
        loop.watch(second, closes_the_other(second, first))
        loop.run(app)
        assert len(called) == 1 and called[0] in (first, second)
    finally:
        for waker in (first, second, *fresh):
            waker.close()
