"""What text a scenario may hold: scenario names, one-line labels and free text.

Every string read from a file refuses the Unicode categories in :data:`REFUSED` (control
characters, bidirectional and other format marks such as U+202E and U+200F, private-use
characters, lone surrogates, line and paragraph separators); free text alone may hold a
newline or a tab. :data:`ScenarioName`, :data:`Label` and :data:`FreeText` add lengths
and, for the scenario's name, the rules that keep it usable as a file name. :func:`excerpt`
is how a received value is shown back in a message: short and escaped.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator

__all__ = [
    "MAX_LABEL",
    "MAX_NAME",
    "MAX_TEXT",
    "REFUSED",
    "FreeText",
    "Label",
    "ScenarioName",
    "bad_character",
    "excerpt",
]

REFUSED = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})
"""Unicode general categories no string in a scenario may contain."""
MAX_NAME = 80
MAX_LABEL = 200
MAX_TEXT = 5000
_FREE_TEXT_CONTROLS = frozenset("\n\t")


def bad_character(text: str, *, multiline: bool = True) -> str | None:
    """A description of the first refused character in ``text`` (``"U+202E
    (RIGHT-TO-LEFT OVERRIDE)"``), or None; ``multiline`` allows newline and tab."""
    for char in text:
        if unicodedata.category(char) in REFUSED and not (multiline and char in _FREE_TEXT_CONTROLS):
            name = unicodedata.name(char, "")
            return f"U+{ord(char):04X}" + (f" ({name})" if name else "")
    return None


def excerpt(value: object, limit: int = 40) -> str:
    """``repr(value)`` cut to about ``limit`` characters, non-ASCII escaped: safe to print."""
    shown = ascii(value)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def _length(text: str, limit: int, what: str) -> None:
    if len(text) > limit:
        raise ValueError(f"{what} may be at most {limit} characters, got {len(text)}")


def _characters(text: str, *, multiline: bool) -> None:
    found = bad_character(text, multiline=multiline)
    if found is not None:
        allowed = " (newline and tab are allowed)" if multiline else ""
        raise ValueError(f"text must not contain control or format characters{allowed}; found {found}")


def check_name(text: str) -> str:
    """The scenario's ``name``: 1-80 characters, one line, usable as a file or folder name."""
    if not text:
        raise ValueError("a scenario name must not be empty")
    _length(text, MAX_NAME, "a scenario name")
    _characters(text, multiline=False)
    if text != text.strip():
        raise ValueError("a scenario name must not start or end with a space")
    if "/" in text or "\\" in text:
        raise ValueError("a scenario name must not contain / or \\")
    if text in (".", ".."):
        raise ValueError(f"a scenario name cannot be {text!r}")
    return text


def check_label(text: str) -> str:
    """A one-line label (``vendor``, ``generation``): at most 200 characters."""
    _length(text, MAX_LABEL, "this text")
    _characters(text, multiline=False)
    return text


def check_text(text: str) -> str:
    """Free text (descriptions, notes, provenance): at most 5000 characters."""
    _length(text, MAX_TEXT, "this text")
    _characters(text, multiline=True)
    return text


ScenarioName = Annotated[str, AfterValidator(check_name)]
Label = Annotated[str, AfterValidator(check_label)]
FreeText = Annotated[str, AfterValidator(check_text)]
