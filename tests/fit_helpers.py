"""Shared helpers of the fit tests: write fit files and lab tables into a temporary folder."""

from __future__ import annotations

from pathlib import Path

STAND_IN = "stand-in:analytic"
TESTS_DIR = Path(__file__).resolve().parent


def write_retention(folder: Path, rows, name="retention.csv") -> Path:
    """rows: (protocol, time text, pi, sem, n)."""
    lines = ["protocol,time,pi,sem,n,approximate,source"]
    lines += [f"{p},{t},{pi},{sem},{n},false,simulated" for p, t, pi, sem, n in rows]
    path = folder / name
    path.write_text("\n".join(lines) + "\n")
    return path


def write_fit(folder: Path, parameters: str, data: str, model: str = "", max_evaluations: int = 150,
              name="fit.yaml", metabolism: bool = False) -> Path:
    text = f"""schema_version: 1
name: test_fit
parameters:
{parameters}
data:
{data}
model: {{network: "{STAND_IN}", metabolism: {str(metabolism).lower()}{model}}}
optimizer: {{restarts: 2, max_evaluations: {max_evaluations}}}
posterior: {{walkers: 6, steps: 12, burn: 4}}
"""
    path = folder / name
    path.write_text(text)
    return path
