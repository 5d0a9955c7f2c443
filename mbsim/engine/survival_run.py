"""Follow a fly under starvation after its protocol until it dies or the horizon is reached."""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from ..errors import SimulationError
from .slow import GLOBALS


def starve_until_death(slow, y, t, survival, conditions) -> tuple[float, bool]:
    """(death time [s], censored) for one fly starved from ``survival.starve_from``.

    The fly dies when the metabolism's ``death_margin`` (reserves above the fly's lethal threshold)
    crosses zero; a fly alive at ``starve_from + horizon`` is censored.
    """
    metabolism = slow.metabolism
    head = len(GLOBALS)
    if metabolism.death_margin(y[head:]) <= 0:
        return t, False
    end = survival.starve_from + survival.horizon
    if t >= end:
        return np.nan, True

    def margin(_, state, *args):
        return metabolism.death_margin(state[head:])
    margin.terminal, margin.direction = True, -1
    solution = solve_ivp(slow.derivatives, (t, end), y, method="LSODA", events=margin,
                         args=(conditions,), rtol=1e-6, atol=1e-9)
    if not solution.success:
        raise SimulationError(f"survival run failed after t={t:.6g} s: {solution.message}")
    if len(solution.t_events[0]):
        return float(solution.t_events[0][0]), False
    return np.nan, True
