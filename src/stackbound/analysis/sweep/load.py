"""Reading a sweep file whole: its fields, its scenarios, its levers and points, its outputs.

:func:`parse_sweep` checks in stages and stops after the first stage with problems,
reporting all of that stage's problems together (file, line, field); :func:`load_sweep`
reads the file first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path as FilePath

from stackbound.analysis.compare import LeverSetting, with_levers
from stackbound.analysis.sweep.definition import Output, Point, Sweep
from stackbound.analysis.sweep.shape import Shape, SweepFile, read_shape
from stackbound.engine.run import run
from stackbound.errors import Problem, ScenarioError
from stackbound.scenario.checks import name_hint
from stackbound.scenario.files import read_text
from stackbound.scenario.loader import LoadedScenario, load_scenario
from stackbound.scenario.overlay import builtin_dir, locate
from stackbound.scenario.text import excerpt
from stackbound.scenario.units import MULTIPLIER
from stackbound.scenario.values import parse_param
from stackbound.scenario.yamlio import Path, read_yaml

__all__ = ["MAX_POINTS", "load_sweep", "parse_sweep"]

MAX_POINTS = 100
"""The most points a sweep may run unless the caller raises the cap (``--max-points``)."""


def load_sweep(
    path: str | FilePath,
    *,
    samples: int | None = None,
    seed: int | None = None,
    max_points: int = MAX_POINTS,
    allow_outside: bool = False,
) -> Sweep:
    """Read and check the sweep file ``path`` (a regular UTF-8 file of at most 10 MB);
    ``samples`` and ``seed`` replace the file's. ScenarioError lists every problem."""
    path = FilePath(path)
    text = read_text(path, str(path))
    sweep = parse_sweep(text, str(path), path.parent, max_points=max_points, allow_outside=allow_outside)
    return replace(
        sweep, samples=sweep.samples if samples is None else samples, seed=sweep.seed if seed is None else seed
    )


def parse_sweep(
    text: str, file: str, folder: FilePath, *, max_points: int = MAX_POINTS, allow_outside: bool = False
) -> Sweep:
    """Check the sweep ``text`` (named ``file`` in errors; its paths are relative to
    ``folder``) in stages: its shape, its scenarios, its levers and point count, each
    point's scenario, then its outputs against a one-sample run of each scenario."""
    data, positions = read_yaml(text, file)
    checked = SweepFile(positions)
    shape = read_shape(checked, data)
    checked.check()
    refs = [(shape.scenario, ("scenario",)), *((ref, ("overlays", i)) for i, ref in enumerate(shape.overlays))]
    found = [_scenario(checked, ref, path, folder, allow_outside) for ref, path in refs]
    checked.check()  # a scenario that did not load noted its problems
    scenarios = [s for s in found if s is not None]
    _check_levers(checked, scenarios, shape, max_points)
    checked.check()
    points = _points(checked, scenarios, shape.levers.points() or [({}, ("levers",))])
    checked.check()
    outputs, years, units = _check_outputs(checked, scenarios, shape)
    checked.check()
    name = shape.name or FilePath(file).stem
    levers = tuple(shape.levers.paths)
    return Sweep(file, name, shape.description, scenarios[0], tuple(scenarios[1:]), levers, tuple(points),
                 shape.samples, shape.seed, outputs, years, units)  # fmt: skip


def _scenario(checked: SweepFile, ref: str, path: Path, folder: FilePath, allow_outside: bool) -> LoadedScenario | None:
    """The scenario ``ref`` names: a file (relative to the sweep's folder) or a built-in.
    Problems with a file as a whole are said at ``path``; those inside it, where they are."""
    try:
        found, _ = locate(ref, folder)
        builtin = found == builtin_dir() / f"{ref}.yaml"
        if not builtin and not allow_outside and not _inside(found, (folder, FilePath.cwd(), builtin_dir())):
            message = f"{excerpt(ref, 80)} lies outside the sweep's folder and the working directory"
            raise ScenarioError([Problem(ref, 0, 0, "", f"{message}; pass --allow-outside to read it")])
        return load_scenario(ref if builtin else found, allow_outside=allow_outside)
    except ScenarioError as error:
        for problem in error.problems:
            if problem.line:
                checked.problems.append(problem)
            else:
                checked.problem(path, problem.message if problem.file == ref else f"{problem.file}: {problem.message}")
        return None


def _inside(path: FilePath, roots: Iterable[FilePath]) -> bool:
    real = path.resolve()
    return any(real.is_relative_to(root.resolve()) for root in roots)


def _check_levers(checked: SweepFile, scenarios: list[LoadedScenario], shape: Shape, max_points: int) -> None:
    """Every lever named is in every scenario; the sweep has no more than ``max_points`` points."""
    for lever, path in shape.levers.paths.items():
        for scenario in scenarios:
            if lever not in scenario.scenario.levers:
                known = scenario.scenario.levers
                checked.problem(path, f"unknown lever {lever!r} of {scenario.name!r}{name_hint(lever, known)}")
    per_scenario = shape.levers.count()
    count = 1 + len(scenarios) * per_scenario if per_scenario else len(scenarios)
    if count > max_points:
        made = f"1 + {_count(len(scenarios), 'scenario')} x {_count(per_scenario, 'lever point')}"
        made = made if per_scenario else f"the base and {_count(len(scenarios) - 1, 'overlay')}"
        cap = f"more than the cap of {max_points:,}; shrink it or raise the cap (--max-points)"
        checked.problem(
            ("levers",) if per_scenario else ("overlays",), f"the sweep has {count:,} points ({made}), {cap}"
        )


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}" + ("" if n == 1 else "s")


def _points(
    checked: SweepFile, scenarios: list[LoadedScenario], lever_points: list[tuple[dict[str, float], Path]]
) -> list[Point]:
    """Point 0 is the base as it is; then every lever point on each scenario in order."""
    base = scenarios[0]
    points = [Point(0, base.name, {}, base)]
    for scenario in scenarios:
        for values, path in lever_points:
            if scenario is base and not values:
                continue
            try:
                loaded = _at_point(scenario, values, len(points))
            except ScenarioError as error:
                shown = ", ".join(f"{k}={v:g}" for k, v in values.items())
                for problem in error.problems:
                    checked.problem(
                        path, f"with {shown}, {scenario.name!r} is invalid: {problem.path}: {problem.message}"
                    )
                continue
            points.append(Point(len(points), scenario.name, values, loaded))
    return points


def _at_point(loaded: LoadedScenario, values: Mapping[str, float], index: int) -> LoadedScenario:
    """``loaded`` with each lever in ``values`` set to that constant, checked as the loader
    checks a scenario. Its uncertain inputs keep their names, so its draws pair with the
    base's."""
    if not values:
        return loaded
    settings = {
        lever: LeverSetting(
            loaded.scenario.levers[lever].model_copy(update={"value": parse_param(value, MULTIPLIER, curve=False)}),
            {**loaded.data["levers"][lever], "value": value},
        )
        for lever, value in values.items()
    }
    return with_levers(loaded, settings, name=f"{loaded.name}, sweep point {index}", source=f"sweep point {index}")


def _check_outputs(
    checked: SweepFile, scenarios: list[LoadedScenario], shape: Shape
) -> tuple[tuple[Output, ...], tuple[int, ...], dict[str, str]]:
    """Each output is a metric and group every scenario has, each year in every horizon:
    asked of a one-sample run of each scenario (levers change neither)."""
    probes = [run(s, samples=1, seed=shape.seed, workers=1) for s in scenarios]
    for (metric, group), path in shape.outputs:
        for probe in probes:
            if metric not in probe.metrics():
                hint = name_hint(metric, probe.metrics())
                checked.problem(path, f"unknown metric {metric!r} of {probe.scenario!r}{hint}")
            elif group not in probe.groups(metric):
                hint = name_hint(group, probe.groups(metric))
                checked.problem(path, f"{metric} of {probe.scenario!r} has no group {group!r}{hint}")
    common = [y for y in probes[0].years if all(y in p.years for p in probes[1:])]
    for year, path in shape.years:
        if year not in common:
            checked.problem(path, f"year {year} is not in every scenario's horizon ({common[0]}–{common[-1]})")
    years = tuple(y for y, _ in shape.years) or tuple(common)
    outputs = tuple(dict.fromkeys(o for o, _ in shape.outputs))
    return outputs, years, {m: probes[0].unit(m) for m, _ in outputs}
