"""Building blocks that keep start-up light: small immutable values, and
regular expressions compiled when first used; ``earliest``, the soonest
of the times the parts of the program name for their next work; and
``TWO_DIGITS``, for writing times.

``Pattern`` is a regular expression compiled on its first use: compiling
every pattern of the program at import took about 4 ms of its start, for
patterns most of which serve later (checking an address, decoding keys).

A ``Value`` names its fields in ``_fields`` (its ``__slots__`` too), compares
equal to a value of the same type whose ``_compared`` fields are equal,
hashes by them, prints as ``Name(field=value, ...)``, and cannot be changed
once made. A subclass's ``__init__`` checks its fields and sets them with
``settle``. (Dataclasses would write the same, but importing them and
building each class costs the program about a tenth of its start-up.)
"""

from __future__ import annotations

settle = object.__setattr__  # what a Value's __init__ sets its fields with
# "00" to "59": the hours, minutes and seconds of the times the program writes, looked
# up (a format for each costs each message more than the rest of its time).
TWO_DIGITS = tuple(f"{number:02}" for number in range(60))


def earliest(*times: float | None) -> float | None:
    """The soonest of ``times`` that are set; None if none is. (Each part of the
    program names when it next has something to do, at every turn of the loop:
    a loop here costs less than a list built and filtered for ``min``.)"""
    soonest = None
    for time in times:
        if time is not None and (soonest is None or time < soonest):
            soonest = time
    return soonest


class Value:
    __slots__ = ()
    _fields: tuple[str, ...] = ()
    _compared: tuple[str, ...] = ()

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self._compared)

    def __hash__(self) -> int:
        return hash((type(self), *(getattr(self, name) for name in self._compared)))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({fields})"

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a {type(self).__name__} cannot be changed")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a {type(self).__name__} cannot be changed")


class Pattern:
    """``re.compile(source)``, done when one of its methods is first asked for;
    from then on the compiled pattern's methods are this object's own."""

    def __init__(self, source: str) -> None:
        self.source = source

    def __getattr__(self, name: str):
        import re  # here, not at the top: a start that needs no pattern does without it

        compiled = re.compile(self.source)
        for method in ("match", "fullmatch", "search", "sub", "finditer", "findall", "split"):
            setattr(self, method, getattr(compiled, method))
        return getattr(compiled, name)
