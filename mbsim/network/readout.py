"""T-maze readout: from MBON rates during CS+ and CS- to choices and a performance index.

Each MBON type has a valence (+1 avoidance, -1 approach; Aso et al. 2014b eLife). The drive to avoid
an odor is the valence-weighted mean of MBON type rates during that odor,
``A(odor) = sum_t v_t r_t / sum_t |v_t|``. Odors differ in innate drive; T-maze experiments balance
odor concentrations so that naive flies split evenly, and the model does the same by measuring drives
relative to the naive network (same window and seed, efficacy 1). A fly chooses between the arms with

    P(avoid CS+) = 1 / (1 + exp(-(dA(CS+) - dA(CS-)) / choice_temperature)),  dA = A - A_naive,

so a naive fly chooses at chance. A cohort of N flies (one network seed each) gives
PI = (flies avoiding CS+ - flies approaching CS+) / N, positive for aversive memory.

Lab-like replicates (:func:`tube_pis`): a lab tests tubes of ~100 flies and reports the mean and
SEM of the tubes' PIs. A replicate tube holds ``tube_size`` flies, each a draw (with replacement)
of one simulated fly of the cohort, whose choice probability it takes; each chooses once. Tubes
also differ as a whole (``tube_variability``: a log-normal factor on the log-odds of a tube's
choices), so the tubes' SEM holds binomial sampling, fly-to-fly and tube-to-tube differences.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError


@dataclass(frozen=True)
class CohortPI:
    """Performance index of a cohort: sampled PI, its SEM, N and the noise-free expectation."""

    pi: float
    sem: float
    n: int
    expected_pi: float
    probabilities: np.ndarray   # P(avoid CS+) per fly


def avoidance_drive(mbon_rates: np.ndarray, valence: np.ndarray) -> np.ndarray:
    """Valence-weighted mean MBON output [Hz] per odor pulse: ``mbon_rates`` is (..., n_pulses,
    n_types), the result (..., n_pulses)."""
    valence = np.asarray(valence, dtype=float)
    return np.asarray(mbon_rates, dtype=float) @ valence / max(np.abs(valence).sum(), 1.0)


def choice_probability(result, naive, valence: np.ndarray, temperature: float, cs_plus: int = 0,
                       cs_minus: int = 1) -> float:
    """P(avoid CS+) of one fly from a test window whose odor pulses ``cs_plus``/``cs_minus`` are
    the two arms' odors (default: first pulse CS+, second CS-); ``naive`` is the same window
    simulated with naive efficacy (None: no balancing of innate odor drives)."""
    n_pulses = result.mbon_rates.shape[0]
    for name, k in (("cs_plus", cs_plus), ("cs_minus", cs_minus)):
        if not 0 <= k < n_pulses:
            raise InputError(found=f"{name} = {k} with {n_pulses} odor pulses in the test window",
                             expected="the index of an odor pulse of the window", field=name)
    drive = avoidance_drive(result.mbon_rates, valence)
    if naive is not None:
        drive = drive - avoidance_drive(naive.mbon_rates, valence)
    return float(avoidance_probability(drive, temperature, cs_plus, cs_minus))


def avoidance_probability(drive: np.ndarray, temperature: float, cs_plus: int = 0,
                          cs_minus: int = 1) -> np.ndarray:
    """P(avoid CS+) from avoidance drives relative to naive, (..., n_pulses) -> (...)."""
    return 1.0 / (1.0 + np.exp(-(drive[..., cs_plus] - drive[..., cs_minus]) / temperature))


def choose(probabilities, seed: int) -> np.ndarray:
    """Sampled choices per fly: +1 avoided CS+, -1 approached CS+."""
    rng = np.random.default_rng(seed)
    p = np.asarray(probabilities, dtype=float)
    return np.where(rng.random(len(p)) < p, 1, -1)


def performance_index(choices) -> tuple[float, float, int]:
    """``(PI, SEM, N)`` of +1/-1 choices; PI = (avoiding - approaching) / N."""
    c = np.asarray(choices, dtype=float)
    if c.size == 0 or not np.all(np.isin(c, (-1.0, 1.0))):
        raise InputError(found=f"{c.size} choices" if c.size == 0 else "values other than +1/-1",
                         expected="one +1 (avoid CS+) or -1 (approach CS+) per fly", field="choices")
    n = c.size
    sem = float(c.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    return float(c.mean()), sem, n


def cohort_pi(probabilities, seed: int) -> CohortPI:
    """Sample one choice per fly and summarise the cohort (also the expected PI, mean of 2p-1)."""
    p = np.asarray(probabilities, dtype=float)
    pi, sem, n = performance_index(choose(p, seed))
    return CohortPI(pi, sem, n, float(np.mean(2 * p - 1)), p)


def tube_pis(probabilities, tubes: int, tube_size: int, rng: np.random.Generator,
             variability: float = 0.0) -> np.ndarray:
    """PI of each of ``tubes`` lab-like tubes of ``tube_size`` flies: each fly of a tube is a
    draw of one simulated fly (axis 0 of ``probabilities``: P(avoid CS+) per fly, any trailing
    axes such as tests) and chooses with its probability; PI = (avoiding - approaching) / N.

    ``variability`` > 0 makes tubes differ as a lab's groups do (handling, shock or sugar
    effectiveness, the day): each tube and test scales the log-odds of its flies' choices by
    exp(variability z), z standard normal, one draw shared by the trailing axes after the first
    (phases). Returns (tubes, ...)."""
    p = np.asarray(probabilities, dtype=float)
    drawn = p[rng.integers(0, p.shape[0], size=(tubes, tube_size))]   # (tubes, tube_size, ...)
    if variability > 0:
        per_test = p.shape[1:2] + (1,) * max(p.ndim - 2, 0)
        scale = np.exp(variability * rng.standard_normal((tubes, 1) + per_test))
        clipped = np.clip(drawn, 1e-15, 1 - 1e-15)
        drawn = 1.0 / (1.0 + np.exp(-scale * np.log(clipped / (1 - clipped))))
    avoiding = (rng.random(drawn.shape) < drawn).sum(axis=1)
    return (2.0 * avoiding - tube_size) / tube_size
