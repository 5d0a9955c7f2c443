"""Plain-text summaries of results for the terminal."""

from __future__ import annotations

from .units import format_time


def retention_table(tree) -> str:
    """Retention time x phase: PI +- SEM (n flies), the table `mbsim run` prints."""
    retention = tree["retention"].to_dataset()
    phases = [str(p) for p in retention["phase"].values]
    header = f"{'time':>8} " + " ".join(f"{p:>15}" for p in phases) + f" {'n':>4}"
    lines = [f"{tree.attrs.get('protocol_name', '')}: performance index (+ = avoids CS+)", header]
    for i, time in enumerate(retention["retention_time"].values):
        cells = [f"{retention['pi'].values[i, j]:+.2f} +- {retention['pi_sem'].values[i, j]:.2f}"
                 for j in range(len(phases))]
        lines.append(f"{format_time(float(time)):>8} " + " ".join(f"{c:>15}" for c in cells)
                     + f" {int(retention['n'].values[i]):>4}")
    return "\n".join(lines)
