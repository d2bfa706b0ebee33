"""The words pairing codes and verification phrases are made of. No I/O.

A pairing code (SPEC 11) is a number from 1 to 99 and two words, in
magic-wormhole's form: ``7-amber-otter``, one of 99 x 256 x 256 (about 22.6
bits). SPAKE2 gives a stranger one guess per connection at it, and the
server makes a new one after three wrong guesses. A verification phrase is
four words from 32 bits the handshake derives: the same on both sides
unless someone sits in the middle.

No word is a prefix of another, so letters typed without the dashes split
into words one way only, and no two words begin with the same four letters.
"""

from __future__ import annotations

from collections.abc import Callable

WORDS = (
    "acorn", "adult", "agent", "alarm", "album", "alley", "amber", "ample", "angel", "angle",
    "ankle", "apple", "apron", "arena", "arrow", "aspen", "atlas", "attic", "autumn", "avenue",
    "badge", "bagel", "baker", "balsa", "bamboo", "banjo", "barrel", "basil", "beach",
    "beetle", "bench", "berry", "bison", "blade", "blaze", "bloom", "bonus", "boot", "border",
    "bottle", "bounce", "brave", "bread", "breeze", "brick", "bridge", "broom", "bubble",
    "bucket", "bugle", "cabin", "cactus", "camel", "canal", "candle", "canoe", "canvas",
    "canyon", "carbon", "cargo", "carpet", "castle", "cedar", "cello", "chalk", "charm",
    "cherry", "chess", "cider", "circus", "citrus", "clover", "cobalt", "cocoa", "comet",
    "copper", "coral", "cotton", "cougar", "crane", "crayon", "crown", "cube", "cumin",
    "daisy", "dancer", "delta", "denim", "desert", "dial", "diary", "dingo", "domino",
    "donkey", "dragon", "drum", "dune", "eagle", "easel", "echo", "elbow", "ember", "engine",
    "falcon", "fennel", "ferry", "fiddle", "finch", "fjord", "flame", "flint", "flute",
    "forest", "fossil", "fox", "garden", "garlic", "gecko", "geyser", "ginger", "globe",
    "goblet", "gopher", "grape", "gravel", "guitar", "gull", "harbor", "harp", "hazel",
    "helmet", "heron", "hollow", "honey", "hornet", "igloo", "indigo", "iris", "island",
    "ivory", "jacket", "jade", "jaguar", "jelly", "jigsaw", "jungle", "kayak", "kernel",
    "kettle", "kiwi", "koala", "ladder", "lagoon", "lark", "lava", "lemon", "lentil", "lilac",
    "lily", "linen", "lizard", "llama", "locket", "lotus", "lunar", "lynx", "magnet", "mango",
    "maple", "marble", "meadow", "melon", "meteor", "mint", "mirror", "mitten", "moose",
    "mosaic", "moss", "muffin", "napkin", "nectar", "needle", "nest", "nickel", "nutmeg",
    "oasis", "ocean", "olive", "onion", "opal", "orange", "orbit", "orchid", "otter", "owl",
    "oyster", "paddle", "pagoda", "palm", "panda", "paper", "parrot", "pastel", "peach",
    "pebble", "pepper", "piano", "pickle", "pigeon", "pillow", "pine", "pixel", "planet",
    "plum", "pocket", "polar", "pony", "poppy", "prism", "puffin", "quartz", "quill", "radar",
    "raft", "raven", "reef", "river", "robin", "ruby", "sage", "satin", "scarf", "shell",
    "silk", "sleet", "slope", "snail", "spark", "squid", "stone", "storm", "sugar", "swan",
    "syrup", "tango", "tiger", "topaz", "torch", "tulip", "water", "wave", "yacht", "yarn",
    "zebra", "zinc",
)
_INDEX = {word: number for number, word in enumerate(WORDS)}
CODE_NUMBERS = 99  # a code's number is 1 to 99
PHRASE_WORDS = 4
CODE_EXAMPLE = "7-amber-otter"


def digest_words(digest: bytes, messages: int) -> str:
    """A conversation's digest as a person compares it: three words and how many
    messages it holds (``fossil-lemon-orbit-4``)."""
    return "-".join(WORDS[byte] for byte in digest[:3]) + f"-{messages}"


def make_code(below: Callable[[int], int]) -> str:
    """A new pairing code; ``below(n)`` draws a random number from 0 to n - 1
    (``secrets.randbelow``; tests give their own)."""
    return f"{1 + below(CODE_NUMBERS)}-{WORDS[below(len(WORDS))]}-{WORDS[below(len(WORDS))]}"


def read_code(typed: str) -> str | None:
    """A code as a person typed it, in its one written form, or None if it is no
    code. Spaces, case and missing dashes are forgiven: ``7 Amber Otter``,
    ``7amberotter`` and ``7-amber-otter`` are the same code."""
    text = "".join(char for char in typed.lower() if char not in " \t-_")
    digits = len(text) - len(text.lstrip("0123456789"))
    if not 1 <= digits <= 2 or not 1 <= int(text[:digits]) <= CODE_NUMBERS:
        return None
    words = _split(text[digits:])
    if words is None or len(words) != 2:
        return None
    return f"{int(text[:digits])}-{words[0]}-{words[1]}"


def _split(letters: str) -> list[str] | None:
    words, at = [], 0
    while at < len(letters):
        word = next((letters[at:at + size] for size in range(3, 7)
                     if letters[at:at + size] in _INDEX), None)
        if word is None:
            return None
        words.append(word)
        at += len(word)
    return words


def phrase(bits: bytes) -> str:
    """Four words for the first four bytes of ``bits``."""
    return " ".join(WORDS[byte] for byte in bits[:PHRASE_WORDS])
