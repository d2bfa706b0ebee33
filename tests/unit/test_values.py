"""Tests of values.py: patterns compiled when first used, values that cannot change."""

import re

import pytest

from _chat_curses.values import Pattern, Value, earliest, settle


def test_a_pattern_is_compiled_on_first_use_and_then_answers_as_re_does():
    pattern = Pattern(r"[0-9]{1,5}")
    assert "fullmatch" not in vars(pattern)  # nothing compiled yet
    assert pattern.fullmatch("8000") and not pattern.fullmatch("80000000")
    assert "fullmatch" in vars(pattern)  # compiled once, its methods kept
    assert pattern.sub("#", "a1b22") == re.sub(r"[0-9]{1,5}", "#", "a1b22")
    assert pattern.match("x12", 1).group() == "12"
    assert [m.group() for m in pattern.finditer("1 22 333")] == ["1", "22", "333"]


def test_a_bad_pattern_fails_when_used():
    pattern = Pattern(r"[unclosed")
    with pytest.raises(re.error):
        pattern.search("text")


class Point(Value):
    __slots__ = _fields = ("x", "y", "label")
    _compared = ("x", "y")

    def __init__(self, x, y, label=""):
        settle(self, "x", x)
        settle(self, "y", y)
        settle(self, "label", label)


def test_values_compare_by_their_compared_fields_and_never_change():
    assert Point(1, 2, "a") == Point(1, 2, "b") and hash(Point(1, 2, "a")) == hash(Point(1, 2))
    assert Point(1, 2) != Point(2, 1) and Point(1, 2) != (1, 2)
    assert repr(Point(1, 2, "a")) == "Point(x=1, y=2, label='a')"
    point = Point(1, 2)
    with pytest.raises(AttributeError):
        point.x = 5
    with pytest.raises(AttributeError):
        del point.y
    with pytest.raises(AttributeError):
        point.extra = 1  # no room for more: slots


@pytest.mark.parametrize("times, soonest", [
    ((), None), ((None,), None), ((None, None), None), ((3.0,), 3.0),
    ((None, 2.5, None, 1.5, 4.0), 1.5), ((0.0, None, 7.0), 0.0), ((-1.0, 0.0), -1.0),
    ((5.0, 5.0), 5.0),
])
def test_the_earliest_of_the_times_set(times, soonest):
    assert earliest(*times) == soonest
