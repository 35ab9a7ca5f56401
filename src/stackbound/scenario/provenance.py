"""Where a scenario value comes from: a cited source, several sources each with its own
date and grade, or an assumption with its reason.

Beside ``value`` a scenario writes ``source``, ``date``, ``grade`` (A, B or C), ``note``
and ``assumption``, or ``sources: [{source, date, grade, note}, ...]`` for a value derived
from several; :func:`parse_provenance` reads and checks them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from stackbound.scenario.text import check_text, excerpt

__all__ = ["CITATION_KEYS", "GRADES", "LABEL", "PROVENANCE_KEYS", "Citation", "Provenance", "parse_provenance"]

PROVENANCE_KEYS = frozenset({"source", "sources", "date", "grade", "note", "assumption"})
CITATION_KEYS = frozenset({"source", "date", "grade", "note"})
"""The keys of one entry of ``sources``."""
LABEL = "label"
"""The key beside ``value`` naming the value for people (not provenance)."""
GRADES = frozenset({"A", "B", "C"})
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass(frozen=True)
class Citation:
    """One of several sources of a derived value, with its own date and grade."""

    source: str
    date: str | None = None
    grade: str | None = None
    note: str | None = None

    def text(self) -> str:
        """``URL (grade B, 2024-05, note)``: the source with what is known about it."""
        about = [f"grade {self.grade}" if self.grade else "", self.date or "", self.note or ""]
        shown = ", ".join(part for part in about if part)
        return f"{self.source} ({shown})" if shown else self.source


@dataclass(frozen=True)
class Provenance:
    """Where a value comes from: a cited source, or an assumption with its reason. A value
    derived from several sources lists them in ``sources``; then ``source`` is their texts
    joined by ``; ``, ``grade`` the weakest of their grades and ``date`` the newest date."""

    source: str | None = None
    date: str | None = None
    grade: str | None = None
    note: str | None = None
    assumption: str | None = None
    sources: tuple[Citation, ...] = ()

    def as_dict(self) -> dict[str, str]:
        """The text fields that are given (not the citations of ``sources``)."""
        return {k: v for k, v in vars(self).items() if isinstance(v, str)}


def _text_field(key: str, raw: object) -> str:
    """One provenance text (a date may be a YAML date), checked: non-empty, no bad character."""
    text = raw.isoformat() if isinstance(raw, dt.date) else raw
    if not isinstance(text, str | int) or isinstance(text, bool) or not str(text).strip():
        raise ValueError(f"{key} must be non-empty text, got {excerpt(text)}")
    return check_text(str(text).strip())


def _text_fields(raw: dict[Any, Any], keys: frozenset[str], where: str = "") -> dict[str, str]:
    """The text fields ``keys`` of ``raw``, each checked; a grade is A, B or C and a date
    YYYY, YYYY-MM or YYYY-MM-DD. ``where`` prefixes the key in messages."""
    fields = {key: _text_field(where + key, raw[key]) for key in sorted(keys & set(raw))}
    if "grade" in fields and fields["grade"] not in GRADES:
        raise ValueError(f"{where}grade must be A, B or C, got {excerpt(fields['grade'])}")
    if "date" in fields and not _DATE.match(fields["date"]):
        raise ValueError(f"{where}date must be YYYY, YYYY-MM or YYYY-MM-DD, got {excerpt(fields['date'])}")
    return fields


def _citation(raw: object, index: int) -> Citation:
    """Entry ``index`` of ``sources``: ``{source, date, grade, note}``, ``source`` required."""
    where = f"sources[{index}]."
    if not isinstance(raw, dict):
        raise ValueError(f"sources[{index}] must be a mapping with source (and date, grade, note), got {excerpt(raw)}")
    unknown = set(raw) - CITATION_KEYS
    if unknown:
        raise ValueError(
            f"unknown key(s) {sorted(map(str, unknown))} in sources[{index}] (allowed: {sorted(CITATION_KEYS)})"
        )
    if "source" not in raw:
        raise ValueError(f"{where}source is missing: each of several sources names where it comes from")
    return Citation(**_text_fields(raw, CITATION_KEYS, where))


def _citations(raw: object, fields: dict[str, str]) -> tuple[Citation, ...]:
    """The ``sources`` of a derived value; refused beside ``source``, ``date`` or ``grade``,
    which each of them gives."""
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"sources must be a list of at least one {{source, date, grade}}, got {excerpt(raw)}")
    if "source" in fields:
        raise ValueError("give source (one) or sources (several, each with its date and grade), not both")
    for key, rule in (("date", "the newest"), ("grade", "the weakest")):
        if key in fields:
            raise ValueError(
                f"give {key} in each entry of sources, not beside them (the value's {key} is {rule} of theirs)"
            )
    return tuple(_citation(entry, i) for i, entry in enumerate(raw))


def _cited(fields: dict[str, str], citations: tuple[Citation, ...]) -> Provenance:
    """Provenance of several sources: their texts joined, the weakest grade, the newest date."""
    grades = [c.grade for c in citations if c.grade is not None]
    dates = [c.date for c in citations if c.date is not None]
    joined = "; ".join(c.text() for c in citations)
    grade = max(grades) if grades else None  # 'C' > 'B' > 'A': the weakest
    date = max(dates) if dates else None
    return Provenance(joined, date, grade, fields.get("note"), fields.get("assumption"), citations)


def parse_provenance(raw: dict[Any, Any]) -> Provenance:
    """The provenance keys of a ``{value: ..., source: ...}`` wrapper, checked."""
    unknown = set(raw) - PROVENANCE_KEYS - {"value", LABEL}
    if unknown:
        raise ValueError(
            f"unknown key(s) {sorted(map(str, unknown))} beside value (allowed: {sorted(PROVENANCE_KEYS)})"
        )
    fields = _text_fields(raw, PROVENANCE_KEYS - {"sources"})
    if "sources" in raw:
        return _cited(fields, _citations(raw["sources"], fields))
    if "source" not in fields and "assumption" not in fields:
        raise ValueError("a value with provenance needs a source or an assumption")
    get = fields.get
    return Provenance(get("source"), get("date"), get("grade"), get("note"), get("assumption"))
