"""Analytic Jacobian of the metabolism's dynamic rows, for k state columns at once.

The derivative of every term of :meth:`Metabolism.derivatives` (docs/metabolism.md) by the state,
and by the three inputs the slow layer drives it with (MP1 activity, consolidation level, LTM
rates), so that a stiff solver needs no finite differences. The ledger counters are not covered
(fits do not integrate them). ``tests/test_metabolism_jacobian.py`` checks every entry against
finite differences.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..solvers import column_sum
from .layout import FMOL, MM_L_TO_FMOL, MM_L_TO_NMOL


@dataclass
class MetabolismJacobian:
    """``state`` (k, n, n): d(dy/dt)/dy over the dynamic rows n; ``mp1`` and ``consolidation``
    (n, k): d(dy/dt) by those drive inputs; ``ltm_rate`` (n_comp, k): d(dATP_c/dt)/d ltm_rate_c
    (the only rows the LTM rates enter)."""

    state: np.ndarray
    mp1: np.ndarray
    consolidation: np.ndarray
    ltm_rate: np.ndarray


def _hill_and_slope(x, half):
    """x / (x + K) and its derivative K / (x + K)^2."""
    return x / (x + half), half / (x + half) ** 2


def metabolism_jacobian(model, y: np.ndarray, drive) -> MetabolismJacobian:
    """Jacobian of ``model.derivatives(t, y, drive)`` at ``y`` (n_dynamic or more rows, k)."""
    p, k, r, lay = model.params, model.k_of, model.rate_nmol, model.layout
    n, columns, n_comp = lay.n_dynamic, y.shape[1], model.n_comp
    P = np.arange(lay.pyruvate.start, lay.pyruvate.stop)
    A = np.arange(lay.atp.start, lay.atp.stop)
    D = np.arange(lay.pdh.start, lay.pdh.stop)
    GLYCOGEN, LIPID, SUGAR = lay.glycogen, lay.lipid, lay.hemolymph_sugar
    LACTATE, KETONE = lay.glia_lactate, lay.glia_ketone
    J = np.zeros((columns, n, n))

    def put(rows, cols, values):
        values = np.asarray(values, float)
        if np.ndim(rows) or np.ndim(cols):
            values = np.broadcast_to(values, (n_comp, columns)).T
        J[:, rows, cols] = values

    glycogen, lipid, sugar, lactate, ketone = y[GLYCOGEN], y[LIPID], y[SUGAR], y[LACTATE], y[KETONE]
    pyr, atp, pdh = y[lay.pyruvate], y[lay.atp], y[lay.pdh]
    cons, mp1 = np.asarray(drive.consolidation, float), np.asarray(drive.mp1, float)
    yg, ytag, yp, yk = p.atp_per_glucose, p.atp_per_tag, p.atp_per_pyruvate, p.atp_per_ketone
    switch, slope = _switches_and_slopes(model, sugar)

    # whole body: each flux and its derivatives by the state variables it reads
    feed_cap = float(drive.fed) * r["feeding_max_rate"]
    feed_dS = -feed_cap * (1.0 + p.consolidation_intake_increase * cons) * slope["feeding_half_inhibition"]
    feed_dcons = feed_cap * p.consolidation_intake_increase * (1.0 - switch["feeding_half_inhibition"])
    store, store_dS = switch["storage_threshold"], slope["storage_threshold"]
    gsyn_dG = -r["glycogen_synthesis_max"] * store / r["glycogen_capacity"]
    gsyn_dS = r["glycogen_synthesis_max"] * (1.0 - glycogen / r["glycogen_capacity"]) * store_dS
    gsat, gsat_dG = _hill_and_slope(glycogen, r["glycogen_half_saturation"])
    gbrk_dG = r["glycogenolysis_max"] * (1.0 - switch["mobilization_threshold"]) * gsat_dG
    gbrk_dS = -r["glycogenolysis_max"] * slope["mobilization_threshold"] * gsat
    lsyn_dL = -r["lipogenesis_max"] * store / r["lipid_capacity"]
    lsyn_dS = r["lipogenesis_max"] * (1.0 - lipid / r["lipid_capacity"]) * store_dS
    avail, avail_dL = _hill_and_slope(lipid, r["lipid_half_saturation"])
    gng_dL = r["gluconeogenesis_max"] * (1.0 - switch["gluconeogenesis_threshold"]) * avail_dL
    gng_dS = -r["gluconeogenesis_max"] * slope["gluconeogenesis_threshold"] * avail
    demand = r["body_basal_demand"] * (1.0 + p.consolidation_systemic_increase * cons)
    demand_dcons = r["body_basal_demand"] * p.consolidation_systemic_increase
    share, share_dS = switch["sugar_fuel_threshold"], slope["sugar_fuel_threshold"]

    # glia
    glia_sat, glia_sat_dS = _hill_and_slope(sugar, k["glia_glucose_half_saturation"])
    inhibition = k["glia_lactate_inhibition"] / (k["glia_lactate_inhibition"] + lactate)
    glia_dS = k["glia_glycolysis_max"] * glia_sat_dS * inhibition
    glia_dLa = -k["glia_glycolysis_max"] * glia_sat * inhibition ** 2 / k["glia_lactate_inhibition"]
    keto_inh = k["ketone_inhibition"] / (k["ketone_inhibition"] + ketone)
    keto_on = k["ketogenesis_max"] * (1.0 - switch["ketogenesis_threshold"])
    keto_dS = -k["ketogenesis_max"] * slope["ketogenesis_threshold"] * avail * keto_inh
    keto_dL = keto_on * avail_dL * keto_inh
    keto_dKe = -keto_on * avail * keto_inh ** 2 / k["ketone_inhibition"]

    # KCs, per compartment (derivatives by ATP go through ADP = total - ATP)
    adp = k["kc_adenine_total"] - atp
    control, control_dadp = _hill_and_slope(adp, k["respiratory_control_adp"])
    control_datp = -control_dadp
    kc_sat, kc_sat_dS = _hill_and_slope(sugar, k["kc_glucose_half_saturation"])
    kcg_dS = k["kc_glycolysis_max"] * kc_sat_dS * control
    kcg_datp = k["kc_glycolysis_max"] * kc_sat * control_datp
    psat, psat_dpyr = _hill_and_slope(pyr, k["pdh_pyruvate_half_saturation"])
    pdh_flux = k["pdh_max"] * pdh * psat
    flux_dpyr, flux_dpdh = k["pdh_max"] * pdh * psat_dpyr, k["pdh_max"] * psat
    ksat, ksat_dKe = _hill_and_slope(ketone, k["ketone_half_saturation"])
    kox = k["ketone_oxidation_max"] * ksat * control
    kox_dKe = k["ketone_oxidation_max"] * ksat_dKe * control
    kox_datp = k["ketone_oxidation_max"] * ksat * control_datp
    oxidative = yp * pdh_flux + yk * kox
    coupled, coupled_dadp = _hill_and_slope(adp, k["coupling_adp_half"])
    atp_sat, atp_sat_datp = _hill_and_slope(atp, k["demand_half_saturation_atp"])
    local = model._columns(model.local_consolidation, y)
    use = local * cons
    if drive.ltm_rate is not None:
        use = use + model.ltm_cost_mm * model._columns(drive.ltm_rate, y)
    exchange, tau = p.lactate_exchange_rate, p.pdh_time_constant
    mask = model._columns(model.mp1_mask, y)
    vk_vg = model.vk / model.vg

    put(P, P, -exchange - flux_dpyr)
    put(P, LACTATE, exchange)
    put(P, SUGAR, 2.0 * kcg_dS)
    put(P, A, 2.0 * kcg_datp)
    put(P, D, -flux_dpdh)
    put(A, SUGAR, 2.0 * kcg_dS)
    put(A, A, 2.0 * kcg_datp - coupled_dadp * oxidative + coupled * yk * kox_datp
        - (k["kc_basal_demand"] + use) * atp_sat_datp)
    put(A, P, coupled * yp * flux_dpyr)
    put(A, D, coupled * yp * flux_dpdh)
    put(A, KETONE, coupled * yk * kox_dKe)
    put(D, D, -1.0 / tau)
    put(D, A, control_datp / tau)
    put(LACTATE, SUGAR, 2.0 * glia_dS)
    put(LACTATE, LACTATE, 2.0 * glia_dLa - n_comp * exchange * vk_vg)
    put(LACTATE, P, exchange * vk_vg)
    put(KETONE, SUGAR, keto_dS)
    put(KETONE, LIPID, keto_dL)
    put(KETONE, KETONE, keto_dKe - column_sum(kox_dKe) * vk_vg)
    put(KETONE, A, -kox_datp * vk_vg)

    # body rows: glycogen, lipid (ketone bodies are made from it), hemolymph sugar
    to_nmol = MM_L_TO_NMOL / MM_L_TO_FMOL
    per_gng = yg / (ytag * p.gluconeogenesis_efficiency)
    per_keto = model.vg * yk * to_nmol / (ytag * p.ketogenesis_efficiency)
    put(GLYCOGEN, GLYCOGEN, gsyn_dG - gbrk_dG)
    put(GLYCOGEN, SUGAR, gsyn_dS - gbrk_dS)
    put(LIPID, LIPID, lsyn_dL - gng_dL * per_gng - demand * (1.0 - share) * avail_dL / ytag
        - per_keto * keto_dL)
    put(LIPID, SUGAR, lsyn_dS - gng_dS * per_gng + demand * share_dS * avail / ytag
        - per_keto * keto_dS)
    put(LIPID, KETONE, -per_keto * keto_dKe)
    vh, to_glycogen, to_lipid = model.vh, p.glycogen_storage_efficiency, model.glucose_to_lipid
    put(SUGAR, SUGAR, (feed_dS - gsyn_dS / to_glycogen - lsyn_dS / to_lipid + gbrk_dS + gng_dS
                       - demand * share_dS / yg
                       - to_nmol * (model.vg * glia_dS + model.vk * column_sum(kcg_dS))) / vh)
    put(SUGAR, GLYCOGEN, (-gsyn_dG / to_glycogen + gbrk_dG) / vh)
    put(SUGAR, LIPID, (-lsyn_dL / to_lipid + gng_dL) / vh)
    put(SUGAR, LACTATE, -to_nmol * model.vg * glia_dLa / vh)
    put(SUGAR, A, -to_nmol * model.vk * kcg_datp / vh)

    # drive inputs
    d_mp1, d_cons = np.zeros((n, columns)), np.zeros((n, columns))
    d_mp1[D] = mask * p.mp1_max_activation * p.mp1_half_activation \
        / (mp1 + p.mp1_half_activation) ** 2 / tau
    d_cons[A] = -local * atp_sat
    d_cons[LIPID] = -demand_dcons * (1.0 - share) * avail / ytag
    d_cons[SUGAR] = (feed_dcons - demand_dcons * share / yg) / vh
    d_ltm = np.broadcast_to(-model.ltm_cost_mm * atp_sat, (n_comp, columns))
    return MetabolismJacobian(J, d_mp1, d_cons, d_ltm)


def trigger_slopes(model, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``model.ltm_trigger(y)`` (k,) and its derivatives by each compartment's pyruvate and PDH
    activation, (n_comp, k) each."""
    k, lay = model.k_of, model.layout
    pyr, pdh = y[lay.pyruvate], y[lay.pdh]
    psat, psat_dpyr = _hill_and_slope(pyr, k["pdh_pyruvate_half_saturation"])
    per_flux = k["pdh_max"] * model.vk / FMOL / model._columns(model.fed_flux, y)
    rise = per_flux * pdh * psat - 1.0
    w = model.params.trigger_smoothing
    root = np.sqrt(rise * rise + w * w)
    weight = model._columns(model.mp1_mask, y) / np.sum(model.mp1_mask)
    ramp_slope = 0.5 * (1.0 + rise / root) * weight
    value = column_sum(0.5 * (rise + root) * weight)
    return value, ramp_slope * per_flux * pdh * psat_dpyr, ramp_slope * per_flux * psat


def _switches_and_slopes(model, sugar):
    """The rising Hill switches of hemolymph sugar (:meth:`Metabolism._switches`) and their
    derivatives by sugar."""
    q = sugar * sugar + 1e-12
    sn = q ** (0.5 * model.hill)
    sn_dS = model.hill * sugar * sn / q
    switch, slope = {}, {}
    for name, kn in model._threshold_n.items():
        switch[name] = sn / (sn + kn)
        slope[name] = kn * sn_dS / (sn + kn) ** 2
    return switch, slope
