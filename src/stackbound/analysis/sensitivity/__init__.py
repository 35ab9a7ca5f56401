"""Which uncertain inputs move one annual output: tornado, Sobol' indices, delta indices.

Every method answers for one :class:`Output` (an annual metric of a group in a year) and
works on *factors*: sets of inputs that move as one (:func:`factors`). Grouping ``by``:

- ``group``: the knots of one curve and every set of inputs the scenario correlates;
- ``curve``: the knots (and shift) of one curve only (``Input.group``);
- ``input``: every input alone.

The methods share one contract, ``method(loaded, output, *, by, samples, seed, progress,
executor)`` (``executor``: where the engine runs, see :func:`~stackbound.engine.run.run`),
and live in :data:`METHODS`:

- ``tornado``: each factor at its P10 and its P90, every other input at its median.
- ``sobol``: first- and total-order variance-based indices (Saltelli et al. 2010, *Comput.
  Phys. Commun.* 181:259) from SALib's estimator over a Saltelli design of N·(G+2) runs for
  G factors. The design assumes independent inputs, so the scenario's copula is switched off.
- ``delta``: Borgonovo's moment-independent δ (Plischke, Borgonovo & Smith 2013, *EJOR*
  226:536) and the given-data first-order index, from SALib on one ordinary, correlated
  Monte Carlo sample; valid under dependence.

Defaults (:data:`DEFAULT_SAMPLES`): Sobol' base N = 2048, a power of two as scrambled Sobol'
points need. Interval half-widths shrink as 1/√N; for the China scenario's units in 2026
(124 factors, 258k runs, about 36 s on two busy cores) they are at most ±0.05 for total
order and ±0.09 for first order at 2048, against ±0.12 first order at 1024. Outputs driven by
one heavy-tailed input (compute added, through smuggled imports) need more, and say so.
δ: 2048 samples, where the bootstrap intervals are about ±0.02 and a factor costs about
0.1 s. A result is marked unstable when an interval is wider than ±:data:`MAX_CONF` or
first-order Sobol' indices sum above 1 + :data:`SUM_TOLERANCE`.
"""

from __future__ import annotations

from typing import Protocol

from stackbound.analysis.sensitivity.common import (
    BY,
    DEFAULT_BY,
    DEFAULT_SAMPLES,
    By,
    Factor,
    Output,
    SensitivityResult,
    factors,
    output_values,
)
from stackbound.analysis.sensitivity.delta import DeltaIndex, DeltaResult, delta
from stackbound.analysis.sensitivity.sobol import SobolIndex, SobolResult, saltelli_design, sobol
from stackbound.analysis.sensitivity.tornado import Bar, TornadoResult, tornado
from stackbound.engine.executors import Executor
from stackbound.engine.keep import DEFAULT_KEEP, Keep
from stackbound.engine.run import Progress
from stackbound.scenario.loader import LoadedScenario

__all__ = [
    "BY",
    "DEFAULT_BY",
    "DEFAULT_SAMPLES",
    "METHODS",
    "Bar",
    "By",
    "DeltaIndex",
    "DeltaResult",
    "Factor",
    "Method",
    "Output",
    "SensitivityResult",
    "SobolIndex",
    "SobolResult",
    "TornadoResult",
    "delta",
    "factors",
    "output_values",
    "saltelli_design",
    "sobol",
    "tornado",
]


class Method(Protocol):
    def __call__(
        self,
        loaded: LoadedScenario,
        output: Output,
        *,
        by: By = ...,
        samples: int | None = None,
        seed: int = 0,
        progress: Progress | None = None,
        executor: Executor | None = None,
        keep: Keep = DEFAULT_KEEP,
    ) -> SensitivityResult: ...


METHODS: dict[str, Method] = {"tornado": tornado, "sobol": sobol, "delta": delta}
"""Every sensitivity method by name; each takes the same arguments."""
