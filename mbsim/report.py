"""Plain-text summaries of results for the terminal."""

from __future__ import annotations

from .units import format_time


def retention_table(tree) -> str:
    """Per retention time: the cohort's PI +- SEM (sampled choices) and the expected PI per phase."""
    retention = tree["retention"].to_dataset()
    phases = [str(p) for p in retention["phase"].values]
    lines = [f"{tree.attrs.get('protocol_name', '')}: performance index (+ = avoids CS+); "
             "expected PI = mean over flies of 2 P(avoid) - 1",
             f"{'time':>8} {'PI +- SEM':>15} {'n':>4}   expected: "
             + " ".join(f"{p:>7}" for p in phases)]
    for i, time in enumerate(retention["retention_time"].values):
        total = phases.index("total")
        sampled = (f"{retention['pi'].values[i, total]:+.2f} +- "
                   f"{retention['pi_sem'].values[i, total]:.2f}")
        expected = " ".join(f"{retention['pi_expected'].values[i, j]:+7.2f}"
                            for j in range(len(phases)))
        lines.append(f"{format_time(float(time)):>8} {sampled:>15} "
                     f"{int(retention['n'].values[i]):>4}             {expected}")
    return "\n".join(lines)
