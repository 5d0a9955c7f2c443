"""Batched BDF solver: accuracy against scipy and exact solutions, events, samples, restarts,
agreement of a column with itself alone, determinism and independence of the column order."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from mbsim.errors import SimulationError
from mbsim.solvers import ArrowNewton, BatchBDF, DenseNewton

# Robertson's chemistry with per-column rate constants (k = 6 columns).
K1 = 0.04 * np.array([1.0, 2.0, 0.5, 1.5, 0.8, 3.0])
K2 = 3e7 * np.array([1.0, 0.5, 2.0, 1.0, 1.3, 0.7])
K3 = 1e4 * np.array([1.0, 1.0, 0.5, 2.0, 1.2, 0.9])


def robertson(k1, k2, k3):
    width = np.size(k1)

    def fun(t, Y):
        assert Y.shape == (3, width)
        y1, y2, y3 = Y
        return np.array([-k1 * y1 + k3 * y2 * y3, k1 * y1 - k3 * y2 * y3 - k2 * y2 ** 2,
                         k2 * y2 ** 2])

    def jac(t, Y):
        y1, y2, y3 = Y
        J = np.zeros((width, 3, 3))
        J[:, 0] = np.stack([-k1 + 0 * y1, k3 * y3, k3 * y2], axis=1)
        J[:, 1] = np.stack([k1 + 0 * y1, -k3 * y3 - 2 * k2 * y2, -k3 * y2], axis=1)
        J[:, 2, 1] = 2 * k2 * y2
        return J
    return fun, jac


def linear_system(rates):
    """y' = A y with A = V diag(-rates) V^-1 per column; rates (3, k). Returns fun, jac, exact."""
    V = np.array([[1.0, 0.3, 0.1], [0.2, 1.0, 0.4], [0.1, 0.5, 1.0]])
    Vinv = np.linalg.inv(V)
    A = np.einsum("ij,jk,jl->kil", V, -rates, Vinv)  # (k, 3, 3)

    def fun(t, Y):
        assert Y.shape == (3, rates.shape[1])
        return np.einsum("kij,jk->ik", A, Y)

    def exact(t, y0):
        modes = np.exp(-rates * t) * (Vinv @ y0)
        return V @ modes
    return fun, (lambda t, Y: A), exact


RATES = np.array([[1e3, 3e3, 1e2, 5e3, 2e3, 1e4, 7e2, 4e3],
                  [1.0, 0.5, 2.0, 0.3, 1.5, 0.8, 1.2, 0.7],
                  [1e-2, 3e-3, 2e-2, 5e-3, 1e-3, 2e-3, 4e-3, 1e-2]])
Y0_LINEAR = np.tile([[1.0], [2.0], [-1.0]], (1, RATES.shape[1]))


def relative_error(y, reference):
    return np.max(np.abs(y - reference) / np.max(np.abs(reference), axis=0))


def test_robertson_matches_scipy_per_column():
    fun, _ = robertson(K1, K2, K3)
    y0 = np.tile([[1.0], [0.0], [0.0]], (1, 6))
    solution = BatchBDF(1e-5, 1e-10).integrate(fun, 0.0, 1e5, y0)
    for j in range(6):
        single, _ = robertson(K1[j:j + 1], K2[j:j + 1], K3[j:j + 1])
        reference = solve_ivp(lambda t, y: single(t, y[:, None])[:, 0], (0, 1e5), y0[:, j],
                              method="BDF", rtol=1e-9, atol=1e-12).y[:, -1]
        error = np.abs(solution.y[:, j] - reference) / (np.abs(reference) + 1e-10)
        assert np.max(error) < 2e-4, (j, error)
    assert 50 < solution.steps < 1000


def test_linear_error_follows_rtol():
    fun, _, exact = linear_system(RATES)
    errors = []
    for rtol in (1e-4, 1e-6):
        solution = BatchBDF(rtol, 1e-12).integrate(fun, 0.0, 20.0, Y0_LINEAR)
        errors.append(relative_error(solution.y, exact(20.0, Y0_LINEAR)))
        assert errors[-1] < 20 * rtol
    assert errors[1] < errors[0] / 10


def test_column_in_batch_agrees_with_column_alone_within_rtol():
    fun, _, exact = linear_system(RATES)
    batch = BatchBDF(1e-6, 1e-12).integrate(fun, 0.0, 20.0, Y0_LINEAR)
    for j in (0, 3, 5):
        alone_fun, _, _ = linear_system(RATES[:, j:j + 1])
        alone = BatchBDF(1e-6, 1e-12).integrate(alone_fun, 0.0, 20.0, Y0_LINEAR[:, j:j + 1])
        reference = exact(20.0, Y0_LINEAR)[:, j:j + 1]
        assert relative_error(batch.y[:, j:j + 1], reference) < 20e-6
        assert relative_error(batch.y[:, j:j + 1], alone.y) < 20e-6
        assert alone.steps <= batch.steps   # the batch steps as finely as its hardest column


def decay(rates):
    return lambda t, Y: -rates * Y


def test_events_fire_per_column_and_freeze():
    rates = np.array([1.0, 0.1, 0.01, 2.0, 1e-6])
    y0 = np.ones((1, 5))
    y0[0, 3] = 0.25  # under the threshold at t0
    solver = BatchBDF(1e-8, 1e-12)
    solution = solver.integrate(decay(rates), 0.0, 500.0, y0, event=lambda Y: Y[0] - 0.3,
                                sample_times=[0.5, 100.0, 400.0])
    expected = np.log(1 / 0.3) / rates[:3]
    np.testing.assert_allclose(solution.event_times[:3], expected, rtol=1e-5)
    assert solution.event_times[3] == 0.0 and np.isnan(solution.event_times[4])
    np.testing.assert_allclose(solution.y[0, :3], 0.3, rtol=1e-5)
    assert solution.y[0, 3] == 0.25  # frozen at t0
    np.testing.assert_allclose(solution.y[0, 4], np.exp(-500e-6), rtol=1e-6)
    # frozen columns stay frozen in the samples: column 0 fired at 1.2, column 1 at 12
    np.testing.assert_allclose(solution.samples[1:, 0, :2], 0.3, rtol=1e-5)
    np.testing.assert_allclose(solution.samples[0, 0, 0], np.exp(-0.5), rtol=1e-6)
    assert np.all(solution.samples[:, 0, 3] == 0.25)


def test_events_stop_early_when_every_column_fired():
    rates = np.array([1.0, 0.5, 2.0])
    calls = []

    def fun(t, Y):
        calls.append(t)
        return -rates * Y
    solution = BatchBDF(1e-6, 1e-12).integrate(fun, 0.0, 1e6, np.ones((1, 3)),
                                               event=lambda Y: Y[0] - 0.3, sample_times=[1e5])
    assert solution.t < 10.0 and max(np.max(t) for t in calls) < 10.0
    np.testing.assert_allclose(solution.samples[0, 0], 0.3, rtol=1e-4)
    inactive = BatchBDF(1e-6, 1e-12).integrate(fun, 0.0, 1.0, np.ones((1, 3)),
                                               active=[True, False, True])
    assert inactive.y[0, 1] == 1.0
    np.testing.assert_allclose(inactive.y[0, [0, 2]], np.exp(-rates[[0, 2]]), rtol=1e-5)


def test_dense_output_matches_exact_solution():
    fun, _, exact = linear_system(RATES)
    times = np.array([20.0, 1e-4, 0.5, 3.0, 7.77])
    solution = BatchBDF(1e-6, 1e-12).integrate(fun, 0.0, 20.0, Y0_LINEAR, sample_times=times)
    for i, t in enumerate(times):
        assert relative_error(solution.samples[i], exact(t, Y0_LINEAR)) < 50e-6, t
    np.testing.assert_allclose(solution.samples[0], solution.y, rtol=1e-12)


def test_restart_reuses_step_and_jacobian():
    fun, _ = robertson(K1, K2, K3)
    y0 = np.tile([[1.0], [0.0], [0.0]], (1, 6))
    once = BatchBDF(1e-6, 1e-10).integrate(fun, 0.0, 2e4, y0)
    warm = BatchBDF(1e-6, 1e-10)
    first = warm.integrate(fun, 0.0, 1e4, y0)
    second = warm.integrate(fun, 1e4, 2e4, first.y)
    cold = BatchBDF(1e-6, 1e-10).integrate(fun, 1e4, 2e4, first.y)
    np.testing.assert_allclose(second.y, once.y, rtol=1e-4, atol=1e-12)
    np.testing.assert_allclose(cold.y, once.y, rtol=1e-4, atol=1e-12)
    assert second.steps < cold.steps


def test_nan_raises_simulation_error_with_time():
    def fun(t, Y):
        return np.where(t > 1.5, np.nan, -Y)
    with pytest.raises(SimulationError, match=r"t = 1\.\d+.*column 0, row 0"):
        BatchBDF(1e-6, 1e-12).integrate(fun, 0.0, 10.0, np.ones((2, 3)))
    message = r"fell below .* t = 1\.[45]\d*; non-finite derivative in column 0, row 0"
    with pytest.raises(SimulationError, match=message):
        BatchBDF(1e-6, 1e-12).integrate(fun, 0.0, 10.0, np.ones((2, 3)),
                                        jac=lambda t, Y: np.tile(-np.eye(2), (3, 1, 1)))
    with pytest.raises(SimulationError, match=r"t = 0\.0 \(column 2, row 1\)"), \
            np.errstate(divide="ignore", invalid="ignore"):
        BatchBDF(1e-6, 1e-12).integrate(lambda t, Y: np.vstack([-Y[0], np.log(Y[1])]), 0.0, 1.0,
                                        np.array([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]]))


def test_analytic_and_finite_difference_jacobians_agree():
    fun, jac = robertson(K1, K2, K3)
    y0 = np.tile([[1.0], [0.0], [0.0]], (1, 6))
    analytic = BatchBDF(1e-6, 1e-10).integrate(fun, 0.0, 1e3, y0, jac=jac)
    numeric = BatchBDF(1e-6, 1e-10).integrate(fun, 0.0, 1e3, y0)
    np.testing.assert_allclose(numeric.y, analytic.y, rtol=1e-4, atol=1e-12)
    # each finite-difference Jacobian costs 3 calls; the Newton iterations otherwise cost about
    # the same (their histories differ by rounding)
    assert numeric.fun_calls - 3 * numeric.jac_calls == pytest.approx(analytic.fun_calls, rel=0.05)
    # a linear system whose third variable does not feed back: skip its perturbation
    rates = np.array([[2.0, 3.0], [1.0, 0.5], [0.0, 0.0]])
    lin_fun, lin_jac, exact = linear_system(rates)

    def feed_forward(t, Y):
        F = lin_fun(t, Y * np.array([[1.0], [1.0], [0.0]]))
        F[2] = Y[0]
        return F
    sparse = BatchBDF(1e-7, 1e-12, jac_columns=[0, 1])
    dense = BatchBDF(1e-7, 1e-12)
    y0 = np.ones((3, 2))
    a, b = sparse.integrate(feed_forward, 0, 5, y0), dense.integrate(feed_forward, 0, 5, y0)
    np.testing.assert_allclose(a.y, b.y, rtol=1e-5)
    assert a.fun_calls - b.fun_calls == -a.jac_calls  # one call fewer per Jacobian


def coupled_robertson(k1, k2, k3, leak=1e-3):
    """Copies of Robertson's chemistry whose first species leak into the next copy; rate
    constants (copies, k). States (3 * copies, k)."""
    def fun(t, Y):
        y1, y2, y3 = Y[0::3], Y[1::3], Y[2::3]
        F = np.empty_like(Y)
        F[0::3] = -k1 * y1 + k3 * y2 * y3 + leak * (np.roll(y1, 1, axis=0) - y1)
        F[1::3] = k1 * y1 - k3 * y2 * y3 - k2 * y2 ** 2
        F[2::3] = k2 * y2 ** 2
        return F
    return fun


def two_intervals(k1, k2, k3, **options):
    """A column-batch walked through two intervals with a jump between them, an event (first
    species of copy 0 falling to 0.3) and samples: (final state, event times, samples) stacked."""
    copies, k = k1.shape
    fun = coupled_robertson(k1, k2, k3)
    y0 = np.zeros((3 * copies, k))
    y0[0::3] = np.linspace(1.0, 0.6, copies)[:, None]
    solver = BatchBDF(1e-5, 1e-10, **options)
    first = solver.integrate(fun, 0.0, 800.0, y0, sample_times=[1e-3, 3.0, 100.0, 700.0],
                             event=lambda Y: Y[0] - 0.3)
    jumped = first.y.copy()
    jumped[0::3] += 0.2
    second = solver.integrate(fun, 800.0, 1e4, jumped, sample_times=[900.0, 5e3])
    return (np.concatenate([first.y, second.y]), first.event_times,
            np.concatenate([first.samples, second.samples]))


def random_rates(copies: int, k: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    return tuple(base * rng.uniform(0.5, 1.5, (copies, k)) for base in (0.04, 3e7, 1e4))


def test_same_batch_twice_is_bitwise_identical():
    rates = random_rates(4, 16)
    first, again = two_intervals(*rates), two_intervals(*rates)
    assert 0 < np.isfinite(first[1]).sum() < 16       # some columns fire, some do not
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    arrow = [two_intervals(*rates, newton_matrices=ArrowNewton(12, np.arange(12).reshape(4, 3)))
             for _ in range(2)]
    for a, b in zip(*arrow):
        np.testing.assert_array_equal(a, b)


def test_batch_result_does_not_depend_on_column_order_beyond_rtol():
    rates = random_rates(4, 16)
    order = np.random.default_rng(3).permutation(16)
    straight = two_intervals(*rates)
    permuted = two_intervals(*(r[:, order] for r in rates))
    state, events, samples = (part[..., np.argsort(order)] for part in permuted)
    np.testing.assert_array_equal(np.isfinite(events), np.isfinite(straight[1]))
    np.testing.assert_allclose(events, straight[1], rtol=1e-4)
    np.testing.assert_allclose(state, straight[0], rtol=1e-3, atol=1e-9)
    np.testing.assert_allclose(samples, straight[2], rtol=1e-3, atol=1e-9)


@pytest.mark.parametrize("newton", [DenseNewton, lambda: ArrowNewton(12, np.arange(12).reshape(4, 3), np.ones((12, 12)))],
                         ids=["dense", "arrow"])
def test_independent_columns_are_bitwise_the_columns_alone(newton):
    """With independent columns a column's numbers (state, event time, samples, across a restart)
    are the same bits alone, in its batch and in a permuted batch; and as accurate as common
    steps."""
    rates = random_rates(4, 9)
    batch = two_intervals(*rates, independent=True, newton_matrices=newton())
    assert 0 < np.isfinite(batch[1]).sum() < 9        # some columns fire, some do not
    order = np.random.default_rng(5).permutation(9)
    permuted = two_intervals(*(r[:, order] for r in rates), independent=True,
                             newton_matrices=newton())
    for part, shuffled in zip(batch, permuted):
        np.testing.assert_array_equal(shuffled[..., np.argsort(order)], part)
    for j in (0, 4, 8):
        alone = two_intervals(*(r[:, j:j + 1] for r in rates), independent=True,
                              newton_matrices=newton())
        for part, single in zip(batch, alone):
            np.testing.assert_array_equal(single[..., 0], part[..., j])
    common = two_intervals(*rates, newton_matrices=newton())
    np.testing.assert_allclose(batch[1], common[1], rtol=1e-4)
    np.testing.assert_allclose(batch[0], common[0], rtol=1e-3, atol=1e-9)


def columnwise(rates):
    """``linear_system`` with its products written out per column (einsum may sum a lone column
    in another order than a batch)."""
    fun, jac, exact = linear_system(rates)
    A = jac(0.0, None)
    return (lambda t, Y: sum(A[:, :, j].T * Y[j] for j in range(3))), exact


def test_independent_columns_take_fewer_steps_where_they_are_easy():
    fun, exact = columnwise(RATES)
    common = BatchBDF(1e-6, 1e-12).integrate(fun, 0.0, 20.0, Y0_LINEAR)
    independent = BatchBDF(1e-6, 1e-12, independent=True).integrate(fun, 0.0, 20.0, Y0_LINEAR)
    assert relative_error(independent.y, exact(20.0, Y0_LINEAR)) < 20e-6
    assert independent.steps <= common.steps
    single_fun, _ = columnwise(RATES[:, 2:3])
    alone = BatchBDF(1e-6, 1e-12, independent=True).integrate(single_fun, 0.0, 20.0,
                                                              Y0_LINEAR[:, 2:3])
    assert alone.steps < common.steps                 # column 2 alone needs fewer steps
    np.testing.assert_array_equal(alone.y[:, 0], independent.y[:, 2])


def block_arrow(rates, coupling=0.5):
    """Blocks of two nonlinearly coupled variables (per column rates (m, k)) driven by one border
    variable that relaxes to the mean of the blocks' first variables."""
    m = rates.shape[0]

    def fun(t, Y):
        F = np.empty_like(Y)
        first, second, border = Y[0:2 * m:2], Y[1:2 * m:2], Y[2 * m]
        F[0:2 * m:2] = -rates * first + second + coupling * border
        F[1:2 * m:2] = 0.1 * rates * (np.tanh(first) - second)
        F[2 * m] = np.mean(first, axis=0) - border
        return F
    return fun, np.arange(2 * m).reshape(m, 2)


def test_arrow_and_dense_newton_give_the_same_solution():
    rates = np.geomspace(1.0, 1e4, 5)[:, None] * np.array([1.0, 0.3, 3.0])
    fun, blocks = block_arrow(rates)
    y0 = np.tile(np.r_[np.tile([1.0, 0.5], 5), 0.0][:, None], (1, 3))
    results = []
    for newton in (DenseNewton(), ArrowNewton(11, blocks)):
        solver = BatchBDF(1e-7, 1e-10, newton_matrices=newton)
        results.append(solver.integrate(fun, 0.0, 50.0, y0, sample_times=[0.01, 1.0, 10.0]))
    dense, arrow = results
    np.testing.assert_allclose(arrow.y, dense.y, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(arrow.samples, dense.samples, rtol=1e-8, atol=1e-12)
    assert arrow.steps > 20 and abs(arrow.steps - dense.steps) <= 2


def test_sparsity_pattern_perturbs_independent_variables_together():
    rates = np.geomspace(1.0, 1e4, 5)[:, None] * np.array([1.0, 0.3])
    fun, blocks = block_arrow(rates)
    pattern = np.eye(11, dtype=bool)
    for first, second in blocks:
        pattern[np.ix_([first, second], [first, second])] = True
        pattern[first, 10] = pattern[10, first] = True
    y0 = np.tile(np.r_[np.tile([1.0, 0.5], 5), 0.0][:, None], (1, 2))
    sparse = BatchBDF(1e-7, 1e-10, jac_sparsity=pattern)
    grouped = sparse.integrate(fun, 0.0, 50.0, y0)
    dense = BatchBDF(1e-7, 1e-10).integrate(fun, 0.0, 50.0, y0)
    assert len(sparse.fd_groups(11)) == 6      # the border row links every first variable
    np.testing.assert_array_equal(grouped.y, dense.y)   # same Jacobians, bit for bit
    assert dense.fun_calls - grouped.fun_calls == (11 - 6) * grouped.jac_calls
    with pytest.raises(ValueError, match=r"jac_sparsity has shape \(11, 11\), expected \(3, 3\)"):
        sparse.integrate(lambda t, Y: -Y, 0.0, 1.0, np.ones((3, 2)))


def test_factorisation_serves_while_c_stays_within_30_percent():
    """A factorisation of I - c J serves later steps while c = h/alpha stays within 30 % of the
    c it was made with (scipy refactorises at every change of step size or order: 92 of 535
    steps on the linear system, 98 of 506 on Robertson's), the solution as accurate as before."""
    fun, jac, exact = linear_system(RATES)
    linear = BatchBDF(1e-8, 1e-12).integrate(fun, 0.0, 20.0, Y0_LINEAR, jac=jac)
    assert relative_error(linear.y, exact(20.0, Y0_LINEAR)) < 20e-8
    assert linear.jac_calls == 1 and linear.factorizations < linear.steps / 7
    columns = [0, 5]
    fun, jac = robertson(K1[columns], K2[columns], K3[columns])
    y0 = np.tile([[1.0], [0.0], [0.0]], (1, 2))
    chemistry = BatchBDF(1e-7, 1e-10).integrate(fun, 0.0, 1e5, y0, jac=jac)
    assert chemistry.factorizations < chemistry.steps / 6
    for j, column in enumerate(columns):
        single, single_jac = robertson(K1[column:column + 1], K2[column:column + 1],
                                       K3[column:column + 1])
        reference = solve_ivp(lambda t, y: single(t, y[:, None])[:, 0], (0, 1e5), y0[:, j],
                              method="BDF", rtol=1e-10, atol=1e-14,
                              jac=lambda t, y: single_jac(t, y[:, None])[0]).y[:, -1]
        error = np.abs(chemistry.y[:, j] - reference) / (np.abs(reference) + 1e-10)
        assert np.max(error) < 2e-6, (column, error)


def test_quadrature_rows_follow_without_changing_the_steps():
    """Trailing rows that nothing depends on (cumulative counters) are integrated accurately and
    leave the other rows' steps as without them (numbers to rounding: the matrix products see
    other shapes)."""
    rates = np.array([[1.0, 50.0, 0.2]])                 # three columns of y' = -r y

    def plain(t, Y):
        return -rates * Y

    def with_counter(t, Y):
        return np.vstack([-rates * Y[:1], Y[:1]])        # q' = y, so q(t) = (1 - exp(-r t)) / r

    def slopes(t, Y):
        return np.broadcast_to(-rates.T[:, :, None], (3, 1, 1)).copy()
    alone = BatchBDF(1e-8, 1e-12).integrate(plain, 0.0, 3.0, np.ones((1, 3)), jac=slopes)
    both = BatchBDF(1e-8, 1e-12, quadrature=1).integrate(
        with_counter, 0.0, 3.0, np.vstack([np.ones((1, 3)), np.zeros((1, 3))]), jac=slopes)
    np.testing.assert_allclose(both.y[:1], alone.y, rtol=1e-12, atol=1e-15)
    assert both.steps == alone.steps
    np.testing.assert_allclose(both.y[1], (1 - np.exp(-3.0 * rates[0])) / rates[0], rtol=1e-6)
    with pytest.raises(ValueError, match="analytic jac"):
        BatchBDF(1e-6, 1e-9, quadrature=1).integrate(with_counter, 0.0, 1.0, np.ones((2, 3)))
