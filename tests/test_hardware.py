"""Hardware cost of an update step: perf counters where permitted, else timing and the energy table."""

from __future__ import annotations

import numpy as np
import pytest

from mbsim.efficiency.hardware import (OperationCount, energy_table, measure, perf_unavailable,
                                       update_operations)

N = 1000


def tiny_kernel():
    """w += dw on N float64 values: N additions, 3N words, 16 kB touched."""
    weights, change = np.zeros(N), np.full(N, 1e-3)

    def step():
        weights.__iadd__(change)
    return step, OperationCount(additions=N, multiplications=0, words=3 * N, working_set_bytes=2 * N * 8)


def test_energy_table_holds_horowitz_values_in_joules():
    """fp32 add 0.9 pJ, mult 3.7 pJ; a 16 kB working set is priced at the 32 kB SRAM row (20 pJ)."""
    table = energy_table()
    assert table.add == pytest.approx(0.9e-12) and table.multiply == pytest.approx(3.7e-12)
    assert table.memory_access(16_000) == pytest.approx(20e-12)
    assert table.memory_access(1e9) == pytest.approx(1.95e-9)


def test_timing_fallback_prices_the_operation_count():
    """Without perf events: positive seconds, joules from the table, a source that says timing."""
    step, operations = tiny_kernel()
    cost = measure(step, repeats=50, operations=operations)
    assert cost.seconds > 0
    if perf_unavailable() is None:
        pytest.skip("perf events are available here; the fallback is not taken")
    assert cost.source.startswith("timing only: perf events not available")
    assert cost.instructions is None and cost.cache_misses is None
    assert cost.joules == pytest.approx(N * 0.9e-12 + 3 * N * 20e-12, rel=1e-12)


def test_counters_on_a_tiny_kernel():
    """With perf events: the kernel's instructions are positive and grow with its size."""
    reason = perf_unavailable()
    if reason is not None:
        print(f"perf events not permitted: {reason}")
        pytest.skip(f"perf events not permitted: {reason}")
    small_step, _ = tiny_kernel()
    big = np.zeros(100 * N)
    small = measure(small_step, repeats=200)
    large = measure(lambda: big.__iadd__(1e-3), repeats=200)
    assert small.source.startswith("perf_event")
    assert 0 < small.instructions < large.instructions
    assert small.joules > 0


def test_restricted_step_counts_fewer_operations_than_dense():
    """Making 1% of 10,000 proposed changes moves fewer words than making all of them (the
    proposal is still read once, so not 100x fewer)."""
    dense = update_operations(10_000, 10_000, (0.0, 1.0))
    restricted = update_operations(10_000, 100, (0.0, 1.0), selection=30_000)
    assert 0.4 * dense.words < restricted.words < dense.words
    assert energy_table().of_operations(restricted) < energy_table().of_operations(dense)
