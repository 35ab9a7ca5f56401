"""Tables as JSON-ready records: numpy scalars to Python numbers, NaN to null."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["clean_value", "records"]


def clean_value(value: Any) -> Any:
    """A cell as JSON wants it: floats rounded to 6 decimals (NaN as None), numpy ints as int."""
    if isinstance(value, float | np.floating):
        number = float(value)
        return None if math.isnan(number) else round(number, 6)
    if isinstance(value, np.integer):
        return int(value)
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Every row of ``frame`` as a dict of clean values."""
    return [{str(k): clean_value(v) for k, v in row.items()} for row in frame.to_dict("records")]
