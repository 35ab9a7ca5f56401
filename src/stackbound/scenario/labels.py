"""Inputs in words: every value of a scenario gets a label for people, derived from the
scenario itself, and the one place where labels are made.

A label is the named things on a value's path, each by its short name, then the field, joined
by `` · ``: ``sources.smic_n2.dies[4].die_area`` -> ``SMIC N+2 · other domestic die · die area``.
A named thing's short name is the start of its ``description`` (up to the first ``(``, ``,``,
``;``, ``:``, `` - `` or sentence end) when that is at most :data:`MAX_WORDS` words and names
the thing (shares a word with its key), else its key in words, cased as the description
writes them (``tsmc_die_bank`` -> ``TSMC die bank``). A ``label:`` beside a value replaces
the derived label. A curve's knot is ``<label> at 2025-12``, its shift ``<label> shift``.

:func:`factor_label` names a group of curves moved together: up to :data:`MAX_NAMED` by
their labels (``a + b - c``), more by what they share (``SMIC N+2 · 12 inputs``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from stackbound.scenario.inputs import walk_params
from stackbound.scenario.months import format_month
from stackbound.scenario.schema import Part, Scenario, Variant
from stackbound.scenario.yamlio import Path, format_path

__all__ = [
    "SEPARATOR",
    "factor_label",
    "input_label",
    "label",
    "labels",
    "named",
    "short_name",
    "vocabulary",
    "words",
]

SEPARATOR = " · "
MAX_WORDS = 4
MAX_CHARS = 32
MAX_NAMED = 3
"""A factor of more curves than this is labelled by what they share and a count."""
_LEAD = re.compile(r"\s*(?:[(,;:]|\s-\s|\.(?:\s|$))")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9+.\-]*")
_CONTAINERS = frozenset({"dies", "variants", "specs", "bill", "value"})
"""Fields that hold named or listed things rather than name a quantity themselves."""
_SECTIONS_SHOWN = {"levers": "lever", "totals": "total", "market_demand": "market demand", "reference": "reference"}
"""Top-level sections named in a label (other sections are clear from the thing's name)."""


def _normal(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _lead(description: str, key: str) -> str | None:
    """The start of a description, if it is short and names the thing ``key``."""
    lead = _LEAD.split(description.strip(), maxsplit=1)[0].strip()
    words = [w for w in re.split(r"[_\W]+", key.lower()) if len(w) >= 2]
    names = any(_normal(w) in _normal(lead) for w in words) or _normal(key) in _normal(lead)
    if lead and names and len(lead.split()) <= MAX_WORDS and len(lead) <= MAX_CHARS:
        return lead
    return None


def _acronym(token: str) -> bool:
    return sum(c.isupper() for c in token) >= 2 or (any(c.isupper() for c in token) and any(c.isdigit() for c in token))


def vocabulary(scenario: Scenario) -> dict[str, str]:
    """Acronyms and model names as the scenario's descriptions write them (``hbm`` -> ``HBM``,
    ``a100`` -> ``A100``): how keys are cased in words."""
    texts = [scenario.description]
    sections = (scenario.components, scenario.sources, scenario.packaging, scenario.products, scenario.platforms)
    for section in (*sections, scenario.totals):
        texts += [str(getattr(thing, "description", "")) for thing in section.values()]
    return dict(_vocabulary_of(tuple(texts)))


@functools.lru_cache(maxsize=16)
def _vocabulary_of(texts: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The acronyms of ``texts`` (kept for the scenarios last asked about: a report names
    things hundreds of times)."""
    tokens = (t.strip(".-/") for text in texts for t in _TOKEN.findall(text))
    return tuple({t.lower(): t for t in tokens if _acronym(t)}.items())


def words(key: str, cased: dict[str, str], description: str = "") -> str:
    """``key`` in words, each cased as ``description`` or else the scenario writes it."""
    own = {t.lower(): t for t in reversed(_TOKEN.findall(description))}
    return " ".join(own.get(w.lower(), cased.get(w.lower(), w)) for w in key.split("_") if w)


def short_name(thing: object, key: str, cased: dict[str, str]) -> str:
    """A named thing's short name: its description's start, or its key in words."""
    description = str(getattr(thing, "description", "") or "")
    return _lead(description, key) or words(key, cased, description)


def named(scenario: Scenario, section: str, key: str) -> str:
    """The short name of the thing ``key`` of a section (``sources``, ``components``, ...)."""
    return short_name(getattr(scenario, section)[key], key, vocabulary(scenario))


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, BaseModel):
        name = next(n for n, info in type(node).model_fields.items() if (info.alias or n) == part)
        return getattr(node, name)
    if isinstance(node, dict):  # month keys are ints in the scenario, YYYY-MM in paths
        return next(v for k, v in node.items() if (format_month(k) if isinstance(k, int) else k) == part)
    return node[part]


def _entry(scenario: Scenario, node: Any, index: int, cased: dict[str, str]) -> str:
    """A listed thing (a die, an installed-base entry) by what it is of."""
    for attribute, things in (("component", scenario.components), ("product", scenario.products)):
        key = getattr(node, attribute, None)
        if isinstance(key, str) and key in things:
            return short_name(things[key], key, cased)
    return f"#{index + 1}"


def _step(scenario: Scenario, parent: Any, node: Any, step: str | int, cased: dict[str, str]) -> list[str]:
    """The words of one step of a path below its section (none for a container field)."""
    key = str(step)
    if isinstance(parent, Part):  # the share of a value written as a share of a total
        total = scenario.totals.get(parent.share_of)
        return [f"share of {short_name(total, parent.share_of, cased)}"]
    if isinstance(parent, list):
        return [_entry(scenario, node, int(step), cased)]
    if isinstance(parent, dict) and key in scenario.components and not isinstance(node, BaseModel):
        return [f"{short_name(scenario.components[key], key, cased)} per unit"]  # a bill's count
    if isinstance(node, Variant):  # variants' descriptions are sentences: their key names them
        return [words(key, cased, node.description)]
    if isinstance(parent, dict) and isinstance(node, BaseModel):
        return [short_name(node, key, cased)]
    if isinstance(parent, dict):
        return [words(key, cased)]
    return [] if key in _CONTAINERS else [key.replace("_", " ")]


def _parts(scenario: Scenario, path: Path, cased: dict[str, str]) -> list[str]:
    """The words of each step of ``path`` that names something."""
    parts: list[str] = [_SECTIONS_SHOWN[str(path[0])]] if path and path[0] in _SECTIONS_SHOWN else []
    node: Any = _child(scenario, path[0]) if path else scenario
    for step in path[1:]:
        parent, node = node, _child(node, step)
        parts += _step(scenario, parent, node, step, cased)
    return parts


def label(scenario: Scenario, path: Path) -> str:
    """The label of the value at ``path``: its ``label:``, or one derived from the scenario."""
    given = getattr(_at(scenario, path), "label", None)
    return _label(scenario, path, vocabulary(scenario), given if isinstance(given, str) else "")


def _label(scenario: Scenario, path: Path, cased: dict[str, str], given: str) -> str:
    """``given`` (a ``label:``), else the named things on ``path`` joined, else the path."""
    return given or SEPARATOR.join(_parts(scenario, path, cased)) or format_path(path)


def _at(scenario: Scenario, path: Path) -> Any:
    node: Any = scenario
    for step in path:
        node = _child(node, step)
    return node


def labels(scenario: Scenario) -> dict[str, str]:
    """The label of every value of the scenario, by its field path (``format_path``)."""
    found, cased = {}, vocabulary(scenario)
    for path, param in walk_params(scenario):
        found[format_path(path)] = _label(scenario, path, cased, param.label or "")
    return found


def input_label(known: dict[str, str], name: str, group: str) -> str:
    """The label of the uncertain input ``name`` of curve or value ``group``, from
    :func:`labels`: ``<label>``, ``<label> at 2025-12`` (a knot) or ``<label> shift``."""
    base, suffix = known.get(group, group), name[len(group) :]
    if suffix == "@shift":
        return f"{base} shift"
    return f"{base} at {suffix[1:]}" if suffix.startswith("@") else base


def _common(labelled: Sequence[str]) -> str:
    """The leading parts every label shares (``SMIC N+2``) and that leave each some words
    of its own, or ''."""
    split = [text.split(SEPARATOR) for text in labelled]
    shared = []
    for parts in zip(*(p[:-1] for p in split), strict=False):
        if len(set(parts)) != 1:
            break
        shared.append(parts[0])
    return SEPARATOR.join(shared)


def factor_label(known: dict[str, str], curves: Sequence[str], signs: Sequence[int]) -> str:
    """Curves moved as one factor in words: ``a + b - c`` (``c`` falls when ``a`` rises),
    what they share said once (``SMIC N+2 · start + wafer starts``), for up to
    :data:`MAX_NAMED` curves; more by what they share and a count (``SMIC N+2 · 12 inputs``)."""
    named = [known.get(c, c) for c in curves]
    shared = _common(named) if len(named) > 1 else ""
    if len(named) > MAX_NAMED:
        return f"{shared or named[0] + ' and others'}{SEPARATOR}{len(named)} inputs"
    rest = [n[len(shared) + len(SEPARATOR) :] if shared else n for n in named]
    joined = rest[0] + "".join(f" {'+' if s > 0 else '-'} {n}" for n, s in zip(rest[1:], signs[1:], strict=True))
    return f"{shared}{SEPARATOR}{joined}" if shared else joined
