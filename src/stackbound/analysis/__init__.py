"""Analyses built on the engine: validation, bottlenecks, sensitivity, comparison."""
