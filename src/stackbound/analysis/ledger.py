"""The ledger of every part: what each account made, gave, lost and holds, by year.

An account is one owner's part of one source (``source`` shared, ``source@Owner``). Per
year the table gives means over samples — which add up: ``opening + made = drawn +
closing``, ``drawn = in good units + destroyed``, ``closing = idle + stranded + held by
policy`` — and the P5 and P95 of what is held at year end, which do not add up (a
percentile of a sum is not the sum of percentiles) and say so in their column names.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from stackbound.engine.histogram import sample_percentiles
from stackbound.engine.results import RunResult

__all__ = ["FLOWS", "HELD", "LEVELS", "ledger_table"]

FLOWS = ("made", "drawn", "in_good_units", "destroyed")
"""Summed over the year."""
HELD = ("held", "idle", "stranded", "held_by_policy")
"""Read at year end."""
LEVELS = ("account", "component")
"""Accounts, or accounts summed per component (a sum over owners, or over sources, would
add dies of different kinds; ``component@Owner`` groups are there for one owner)."""


def _members(result: RunResult, level: str) -> list[str]:
    accounts = [g for (m, g) in result.annual_keys if m == "parts_made"]
    if level == "account":
        return accounts
    return list(dict.fromkeys(result.memberships[a][0] for a in accounts))


RESIDUE = 1e-6
"""Parts: a holding below this is rounding residue of the monthly arithmetic (1e-13 of a
die left after drawing a whole stock) and shows as 0."""


def _cleaned(values: np.ndarray) -> np.ndarray:
    return np.where(np.abs(values) < RESIDUE, 0.0, values)


def ledger_table(result: RunResult, by: str = "account") -> pd.DataFrame:
    """One row per year and group (an account, or the accounts of a component summed): the
    component it holds, the means of opening, made, drawn, in good units,
    destroyed, held, idle, stranded and held by policy, the P5 and P95 of held (not
    additive), and the per-sample imbalance of ``opening + made − drawn − held`` (largest,
    relative to the flows), which the float32 annual store keeps within about 1e-6."""
    if by not in LEVELS:
        raise ValueError(f"by must be one of {', '.join(LEVELS)}, got {by!r}")
    rows = []
    for group in _members(result, by):
        values = {name: _cleaned(result.annual_values(f"parts_{name}", group)) for name in (*FLOWS, *HELD)}
        opening = np.zeros_like(values["held"])
        opening[:, 1:] = values["held"][:, :-1]
        pct = sample_percentiles(values["held"], (5.0, 95.0))
        balance = opening + values["made"] - values["drawn"] - values["held"]
        scale = np.maximum(opening + values["made"], 1.0)
        component = result.memberships[group][0] if by == "account" else group
        for y, year in enumerate(result.years):
            row: dict[str, object] = {"year": year, by: group}
            if by != "component":
                row["component"] = component
            row["opening"] = float(opening[:, y].mean())
            row.update({name: float(values[name][:, y].mean()) for name in (*FLOWS, *HELD)})
            row["held_p5_not_additive"] = float(pct[0, y])
            row["held_p95_not_additive"] = float(pct[1, y])
            row["largest_imbalance"] = float(np.max(np.abs(balance[:, y]) / scale[:, y]))
            rows.append(row)
    return pd.DataFrame(rows)
