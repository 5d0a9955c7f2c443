"""Follow a fly under starvation after its protocol until it dies or the horizon is reached."""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from ..errors import SimulationError
from .slow import GLOBALS


def starve_until_death(slow, y, t, survival, conditions) -> tuple[float, bool]:
    """(death time [s], censored) for one fly starved from ``survival.starve_from``.

    The fly dies when its body reserves fall below the metabolism's ``death_threshold``; a fly alive
    at ``starve_from + horizon`` is censored.
    """
    metabolism = slow.metabolism
    head = len(GLOBALS)
    if metabolism.is_dead(y[head:]):
        return t, False
    end = survival.starve_from + survival.horizon
    if t >= end:
        return np.nan, True

    def margin(_, state, *args):
        return float(metabolism.reserve_energy(state[head:])) - metabolism.death_threshold
    margin.terminal, margin.direction = True, -1
    solution = solve_ivp(slow.derivatives, (t, end), y, events=margin, args=(conditions,),
                         **slow.solver_options)
    if not solution.success:
        raise SimulationError(f"survival run failed after t={t:.6g} s: {solution.message}")
    if len(solution.t_events[0]):
        return float(solution.t_events[0][0]), False
    return np.nan, True
