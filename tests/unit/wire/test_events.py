"""Tests of wire/events.py's roles: two fixed objects, as an enum's members."""

import copy
import pickle

import pytest

from _chat_curses.wire.events import Role


def test_a_role_is_read_from_its_value_and_knows_the_other():
    assert Role("client") is Role.CLIENT and Role("server") is Role.SERVER
    assert Role(Role.SERVER) is Role.SERVER  # (as an enum reads its own members)
    assert Role.CLIENT.value == "client" and Role.SERVER.value == "server"
    assert Role.CLIENT.other is Role.SERVER and Role.SERVER.other is Role.CLIENT
    assert Role.CLIENT != Role.SERVER and len({Role.CLIENT, Role("client"), Role.SERVER}) == 2
    assert repr(Role.SERVER) == "Role.SERVER"


@pytest.mark.parametrize("value", ["Client", "", "both", None, 1])
def test_no_other_role_exists(value):
    with pytest.raises(ValueError):
        Role(value)


def test_a_role_cannot_be_changed_and_stays_itself_when_copied():
    with pytest.raises(AttributeError):
        Role.CLIENT.value = "server"
    with pytest.raises(AttributeError):
        Role.CLIENT.other = Role.CLIENT
    assert copy.copy(Role.CLIENT) is Role.CLIENT and copy.deepcopy(Role.SERVER) is Role.SERVER
    assert pickle.loads(pickle.dumps(Role.SERVER)) is Role.SERVER
