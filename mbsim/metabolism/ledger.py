"""Energy balance of the cumulative ledger: supply = storage change + consumption, body and brain."""

from __future__ import annotations

import numpy as np

from .layout import BRAIN_COUNTERS
from .model import Metabolism


def energy_balance(model: Metabolism, y_start: np.ndarray, y_end: np.ndarray) -> dict[str, float]:
    """Residuals [mol ATP-eq] of the two balances between two states of one fly.

    body: eaten = d(body reserves) + body use + conversion losses + uptake by the brain;
    brain: uptake = d(glia + KC pools) + KC use by cause + glia and extrinsic use.
    Each residual is also given relative to the flow it balances.
    """
    start, end = model.ledger(y_start), model.ledger(y_end)

    def delta(key: str) -> float:
        return float(np.sum(end[key]) - np.sum(start[key]))

    body_use = delta("body_basal") + delta("body_consolidation") + delta("conversion_loss")
    body_residual = delta("eaten") - delta("body_storage") - body_use - delta("brain_uptake")
    brain_use = delta("atp") + sum(delta(name) for name in BRAIN_COUNTERS if name != "atp_deficit")
    brain_residual = delta("brain_uptake") - delta("brain_storage") - brain_use
    body_flow = max(abs(delta("eaten")), body_use, 1e-300)
    brain_flow = max(abs(delta("brain_uptake")), brain_use, 1e-300)
    return {"body_residual": body_residual, "body_relative": body_residual / body_flow,
            "brain_residual": brain_residual, "brain_relative": brain_residual / brain_flow}
