"""Property-based tests of wrapping, clipping and the line editor.

Random text mixing ASCII, CJK, emoji, halfwidth forms, combining marks and
spaces, at every width, under random key sequences: the invariants hold.
"""

from hypothesis import given, settings
from hypothesis import strategies as st

from _chat_curses.text.cells import _wrap_paragraph, cell_width, char_width, clip, wrap
from _chat_curses.text.editor import NEWLINE_MARK, LineEditor

MARKS = "\u0301\u0302\u0323\u20dd\ufe0f"
characters = st.sampled_from(list("ab z.,-") + list("漢字かな한") + ["😀", "🎉"] + list("ｱｲ")
                             + list(MARKS) + [" "])
texts = st.lists(characters, max_size=60).map("".join)
widths = st.integers(min_value=1, max_value=30)


def starts_with_mark(text: str) -> bool:
    return bool(text) and char_width(text[0]) == 0


@settings(max_examples=500, deadline=None)
@given(text=texts, width=widths)
def test_wrap_fits_keeps_everything_and_never_splits(text, width):
    rows = wrap(text, width)
    indent = min(4, (width - 1) // 2)  # what the wrapper puts before continuation rows
    for number, row in enumerate(rows):
        content = row[indent:] if number else row
        # a row is too wide only when it holds one character wider than the row
        assert cell_width(row) <= width or len(content.strip(" ").rstrip(MARKS)) == 1
        # no row begins with a mark torn from its character
        assert not starts_with_mark(content) or (number == 0 and starts_with_mark(text))
    assert "".join(rows).replace(" ", "") == text.replace(" ", "")


@settings(max_examples=500, deadline=None)
@given(text=texts, width=widths, indent=st.integers(min_value=0, max_value=6))
def test_a_line_that_fits_is_wrapped_as_breaking_it_would(text, width, indent):
    """``wrap``'s short cut for a line that fits gives what breaking it into rows gives."""
    if cell_width(text) <= width:
        assert wrap(text, width, indent) == [text] == _wrap_paragraph(
            text, width, "", " " * min(indent, (width - 1) // 2))

@settings(max_examples=500, deadline=None)
@given(text=texts, width=st.integers(min_value=-2, max_value=30))
def test_clip_is_a_prefix_that_fits_and_keeps_marks_with_their_base(text, width):
    clipped = clip(text, width)
    assert text.startswith(clipped)
    assert cell_width(clipped) <= max(width, 0)
    rest = text[len(clipped):]
    assert not starts_with_mark(rest) or not clipped


keys = st.lists(st.one_of(
    st.tuples(st.just("insert"), characters),
    st.sampled_from([("backspace",), ("delete",), ("left",), ("right",), ("home",), ("end",),
                     ("kill_to_start",), ("kill_to_end",), ("kill_word",)]),
), max_size=80)


def played(steps):
    """A line editor, after each of ``steps`` in turn."""
    editor = LineEditor()
    for step in steps:
        if step[0] == "insert":
            editor.insert(step[1])
        else:
            getattr(editor, step[0])()
        yield editor


@settings(max_examples=400, deadline=None)
@given(steps=keys, first=widths, width=widths, most=st.integers(min_value=1, max_value=4))
def test_editor_cursor_stays_on_a_character_boundary_and_in_view(steps, first, width, most):
    for editor in played(steps):
        assert 0 <= editor.cursor <= len(editor.text)
        rows, row, column, top = editor.layout(first, width, most)
        assert 1 <= len(rows) <= most and 0 <= row < len(rows)
        for number, text in enumerate(rows):
            room = first if number + top == 0 else width
            # a row is too wide only when it holds one character wider than the row
            assert cell_width(text) <= room or len(text.rstrip(MARKS)) == 1
        room = first if row + top == 0 else width
        assert 0 <= column < room
        # the cells before the cursor hold exactly the characters before it on its row
        if top == 0 and "\n" not in editor.text:
            before = "".join(rows[:row])
            assert cell_width(rows[row][:editor.cursor - len(before)]) == column


@settings(max_examples=300, deadline=None)
@given(steps=keys)
def test_cursor_moves_never_land_inside_a_character(steps):
    editor = LineEditor()
    for step in steps:
        if step[0] == "insert":
            editor.insert(step[1])
        elif step[0] in ("left", "right", "home", "end", "backspace", "delete"):
            getattr(editor, step[0])()
            if editor.cursor < len(editor.text) and editor.cursor > 0:
                # after a move, the cursor is never on a mark unless marks begin the line
                assert not starts_with_mark(editor.text[editor.cursor:]) or all(
                    char_width(c) == 0 for c in editor.text[:editor.cursor])


@settings(max_examples=400, deadline=None)
@given(steps=keys, first=widths, width=widths, most=st.integers(min_value=-1, max_value=4))
def test_a_line_that_fits_its_row_is_laid_out_as_the_rows_are(steps, first, width, most):
    """``layout``'s short cut for one row gives what laying the rows out gives."""
    for editor in played(steps):
        text = editor.text.replace("\n", NEWLINE_MARK)
        assert editor.layout(first, width, most) == editor._wrapped(text, first, width, most)
