"""Plain-text summaries of results for the terminal."""

from __future__ import annotations

from .units import format_time


def retention_table(tree) -> str:
    """Per retention time: the cohort's PI +- SEM (sampled choices), the lab-like tubes' PI +- SEM
    (where the result has them) and the expected PI per phase."""
    retention = tree["retention"].to_dataset()
    phases = [str(p) for p in retention["phase"].values]
    total = phases.index("total")
    tubes = "tube_pi_mean" in retention
    lab = f"   {'tubes PI +- SEM':>17}" if tubes else ""
    lines = [f"{tree.attrs.get('protocol_name', '')}: performance index (+ = avoids CS+); "
             "expected PI = mean over flies of 2 P(avoid) - 1"
             + (f"; lab-like: {retention.sizes['tube']} tubes of {retention.attrs['tube_size']} "
                "flies drawn from the cohort" if tubes else ""),
             f"{'time':>8} {'PI +- SEM':>15} {'n':>4}{lab}   expected: "
             + " ".join(f"{p:>7}" for p in phases)]
    for i, time in enumerate(retention["retention_time"].values):
        sampled = (f"{retention['pi'].values[i, total]:+.2f} +- "
                   f"{retention['pi_sem'].values[i, total]:.2f}")
        tube = (f"   {retention['tube_pi_mean'].values[i, total]:+7.3f} +- "
                f"{retention['tube_pi_sem'].values[i, total]:.3f}" if tubes else "")
        expected = " ".join(f"{retention['pi_expected'].values[i, j]:+7.2f}"
                            for j in range(len(phases)))
        lines.append(f"{format_time(float(time)):>8} {sampled:>15} "
                     f"{int(retention['n'].values[i]):>4}{tube}             {expected}")
    return "\n".join(lines)
