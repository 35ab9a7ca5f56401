"""The catalogue of bad (and strange but legal) inputs, driven through the command line.

A :class:`Case` is one command a user might type, the files in the folder it is typed in,
and what must come of it. ``tests/test_catalogue.py`` runs every case; the cases live in
:mod:`catalogue.inputs` (what a scenario file holds), :mod:`catalogue.reading` (which
file is read, and what of it is echoed) and :mod:`catalogue.options` (what the command
line holds). A case's name is ``family/what``; the family groups the counts.

In any file text or argument, ``{tmp}`` stands for the case's private temporary folder
(the parent of the folder the command runs in), so that a case can name an absolute path
that is still watched for stray writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["BAD", "SMALL_RUN", "Case", "base"]

BAD = Path(__file__).parent.parent / "bad_scenarios"
"""The loader's catalogue: ``_base_valid.yaml`` and one file per mistake."""

SMALL_RUN = ("--samples", "32", "--seed", "1")
"""Enough samples to exercise a command, few enough to keep the catalogue fast."""

_BASE_TEXT = (BAD / "_base_valid.yaml").read_text(encoding="utf-8")


def base(*edits: tuple[str, str], extra: str = "") -> str:
    """``_base_valid.yaml`` with each ``old`` replaced by ``new`` (each must occur once)."""
    text = _BASE_TEXT
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text + extra


@dataclass(frozen=True)
class Case:
    """One command, its inputs, and what must come of it.

    ``mentions`` must all appear in stderr when the exit status is 2 (the file, its
    ``:line:``, the field path); ``literal`` must appear in stdout or stderr when it is 0
    (text printed as given, not as markup or emoji); ``secret`` must appear nowhere.
    """

    name: str
    argv: tuple[str, ...]
    files: dict[str, str | bytes] = field(default_factory=dict)
    exits: frozenset[int] = frozenset({2})
    mentions: tuple[str, ...] = ()
    literal: tuple[str, ...] = ()
    secret: tuple[str, ...] = ()
    json_out: bool = False
    """On exit 0, stdout must be one strict JSON document (no NaN or Infinity)."""
    out_untouched: bool = False
    """The ``--out`` target must be left exactly as it was (a refused output folder)."""
    refused_first: bool = False
    """On exit 2, stdout must be empty: the input was refused before anything was simulated."""
    setup: Callable[[Path], None] | None = None
    """Prepares the work folder further (FIFOs, folders, links, an earlier output)."""
    process: bool = False
    """Run as a separate process with a timeout: for inputs that could hang or eat memory."""
    timeout: float = 30.0
    max_stderr_lines: int | None = None

    @property
    def family(self) -> str:
        return self.name.split("/", 1)[0]

    def out_target(self) -> str | None:
        """The ``--out`` argument, if the command has one."""
        if "--out" in self.argv:
            return self.argv[self.argv.index("--out") + 1]
        return None
