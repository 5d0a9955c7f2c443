"""The metabolism ODE model: body reserves, hemolymph sugar, glia and KC energy per MB compartment.

Every conversion conserves ATP equivalents or books its loss in a ledger counter, so the cumulative
counters close exactly (see :mod:`mbsim.metabolism.ledger`). Equations: docs/metabolism.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import numpy as np
from scipy.integrate import solve_ivp

from ..connectome.mbtypes import COMPARTMENTS
from ..errors import SimulationError
from ..solvers import ArrowNewton, BatchBDF, column_sum
from .drive import Drive, WindowActivity
from .jacobian import metabolism_jacobian
from .layout import (BODY_COUNTERS, BRAIN_COUNTERS, CAUSES, FMOL, MM, MM_L_TO_FMOL, MM_L_TO_NMOL,
                     NMOL, StateLayout)
from .params import CELL_CLASSES, MetabolismParams, load_metabolism_params

_FED_BASELINE = Drive(fed=True)
_STEADY_DURATION = 60 * 86400.0             # s of fed integration that reach the fed steady state
_PRESTARVATION = 24 * 3600.0                # s of starvation behind initial_state(fed=False)
_ATP_FLOOR = 0.05                           # windows never take KC ATP below this fraction of ATP + ADP


class Metabolism:
    """ODE right-hand side, window debits, LTM trigger, ledger and death criterion of one fly."""

    def __init__(self, params: MetabolismParams | None = None,
                 compartments: Sequence[str] = COMPARTMENTS, steady_guess: np.ndarray | None = None):
        self.params = params if params is not None else load_metabolism_params()
        self.steady_guess = steady_guess   # where the search for the fed steady state starts
        self.compartments = tuple(compartments)
        unknown = set(self.params.mp1_target_compartments) - set(self.compartments)
        if unknown:
            raise ValueError(f"mp1_target_compartments {sorted(unknown)} not in {self.compartments}")
        self.layout = StateLayout(self.compartments)
        self.names, self.units = self.layout.names, self.layout.units
        self.long_names = self.layout.long_names
        self._counter = {name: self.layout.counter(name) for name in BODY_COUNTERS + BRAIN_COUNTERS}
        self._constants()

    # --- constants in internal units -----------------------------------------------------------
    def _constants(self) -> None:
        """Parameters converted to internal units (nmol, fmol, mM) as plain floats, for speed."""
        p = self.params
        self.n_comp = len(self.compartments)
        self.hill = p.hill_coefficient
        self.vh = p.hemolymph_volume * MM_L_TO_NMOL           # nmol per mM of hemolymph sugar
        self.vk = p.kc_volume_per_compartment * MM_L_TO_FMOL  # fmol per mM in one compartment
        self.vg = p.glia_volume * MM_L_TO_FMOL                # fmol per mM of glia
        self.k_of = {name: getattr(p, name) * MM for name in (
            "feeding_half_inhibition", "storage_threshold", "mobilization_threshold",
            "gluconeogenesis_threshold", "sugar_fuel_threshold", "kc_adenine_total",
            "demand_half_saturation_atp", "glia_glucose_half_saturation", "glia_lactate_inhibition",
            "kc_glucose_half_saturation", "pdh_pyruvate_half_saturation", "respiratory_control_adp",
            "coupling_adp_half", "ketogenesis_threshold", "ketone_inhibition",
            "ketone_half_saturation", "kc_basal_demand", "glia_glycolysis_max",
            "kc_glycolysis_max", "pdh_max", "ketogenesis_max", "ketone_oxidation_max",
            "consolidation_local_demand")}
        self.rate_nmol = {name: getattr(p, name) * NMOL for name in (
            "feeding_max_rate", "body_basal_demand", "glycogen_synthesis_max", "glycogenolysis_max",
            "lipogenesis_max", "gluconeogenesis_max", "glycogen_capacity", "lipid_capacity",
            "glycogen_half_saturation", "lipid_half_saturation")}
        self._threshold_n = {name: self.k_of[name] ** self.hill for name in (
            "feeding_half_inhibition", "storage_threshold", "mobilization_threshold",
            "gluconeogenesis_threshold", "sugar_fuel_threshold", "ketogenesis_threshold")}
        self.mp1_mask = np.array([c in p.mp1_target_compartments for c in self.compartments], float)
        self.ltm_cost_mm = p.ltm_cost_per_unit * FMOL / self.vk    # mM of KC ATP per efficacy unit
        self.glucose_to_lipid = p.atp_per_glucose * p.lipid_storage_efficiency / p.atp_per_tag  # TAG per glucose
        self.local_consolidation = np.multiply.outer(self.mp1_mask, self.k_of["consolidation_local_demand"])

    @cached_property
    def batch_size(self) -> int | None:
        """k when some parameters are (k,) arrays (one state column per parameter vector), else None."""
        return self.params.batch_size

    @staticmethod
    def _columns(per_compartment, y: np.ndarray):
        """A per-compartment array shaped to broadcast against ``y[compartment slice]``: (n_comp,)
        gains a column axis when ``y`` is (n, k) (already (n_comp, k) for batched parameters)."""
        a = np.asarray(per_compartment, float)
        return a[:, None] if a.ndim == 1 and y.ndim == 2 else a

    def _switches(self, sugar: float) -> dict[str, float]:
        """Smooth rising Hill switches s^n/(s^n+K^n) of hemolymph sugar (safe for s slightly < 0)."""
        sn = (sugar * sugar + 1e-12) ** (0.5 * self.hill)
        return {name: sn / (sn + kn) for name, kn in self._threshold_n.items()}

    # --- ODE right-hand side -------------------------------------------------------------------
    def derivatives(self, t: float, y: np.ndarray, drive: Drive) -> np.ndarray:
        """dy/dt of the state ``y`` under ``drive`` (internal units per second).

        ``y`` may be (n,) or (n, k) (k flies, or ``solve_ivp(..., vectorized=True)``); a 1-D
        ``drive.ltm_rate`` then applies to every column. ``y`` may also stop after the dynamic rows
        (no ledger counters): then so does dy/dt.
        """
        p, k, r, lay = self.params, self.k_of, self.rate_nmol, self.layout
        yg, ytag, yp, yk = p.atp_per_glucose, p.atp_per_tag, p.atp_per_pyruvate, p.atp_per_ketone
        glycogen, lipid, sugar = y[lay.glycogen], y[lay.lipid], y[lay.hemolymph_sugar]
        lactate, ketone = y[lay.glia_lactate], y[lay.glia_ketone]
        mp1_mask = self._columns(self.mp1_mask, y)
        pyr, atp, pdh = y[lay.pyruvate], y[lay.atp], y[lay.pdh]
        cons, mp1 = np.asarray(drive.consolidation, float), np.asarray(drive.mp1, float)
        sw = self._switches(sugar)
        ledger = len(y) > lay.n_dynamic      # fits integrate the dynamic rows only
        dy = np.zeros_like(y)

        # whole body [nmol/s]
        feed = float(drive.fed) * r["feeding_max_rate"] * (1.0 + p.consolidation_intake_increase * cons) \
            * (1.0 - sw["feeding_half_inhibition"])
        store = sw["storage_threshold"]
        glyc_syn = r["glycogen_synthesis_max"] * store * (1.0 - glycogen / r["glycogen_capacity"])
        glyc_brk = r["glycogenolysis_max"] * (1.0 - sw["mobilization_threshold"]) \
            * glycogen / (glycogen + r["glycogen_half_saturation"])
        lip_syn = r["lipogenesis_max"] * store * (1.0 - lipid / r["lipid_capacity"])
        lip_avail = lipid / (lipid + r["lipid_half_saturation"])
        gng = r["gluconeogenesis_max"] * (1.0 - sw["gluconeogenesis_threshold"]) * lip_avail
        demand = r["body_basal_demand"] * (1.0 + p.consolidation_systemic_increase * cons)
        sugar_share = sw["sugar_fuel_threshold"]
        burned = demand * (sugar_share + (1.0 - sugar_share) * lip_avail)   # ATP actually made

        # glia [mM/s of glial volume] and KCs [mM/s of KC volume]
        sugar_glia = k["glia_glycolysis_max"] * sugar / (sugar + k["glia_glucose_half_saturation"]) \
            * k["glia_lactate_inhibition"] / (k["glia_lactate_inhibition"] + lactate)
        ketogenesis = k["ketogenesis_max"] * (1.0 - sw["ketogenesis_threshold"]) * lip_avail \
            * k["ketone_inhibition"] / (k["ketone_inhibition"] + ketone)
        adp = k["kc_adenine_total"] - atp
        control = adp / (adp + k["respiratory_control_adp"])
        transfer = p.lactate_exchange_rate * (lactate - pyr)
        kc_glycolysis = (k["kc_glycolysis_max"] * sugar / (sugar + k["kc_glucose_half_saturation"])) * control
        pdh_flux = k["pdh_max"] * pdh * pyr / (pyr + k["pdh_pyruvate_half_saturation"])
        ketone_ox = (k["ketone_oxidation_max"] * ketone / (ketone + k["ketone_half_saturation"])) * control
        oxidative = yp * pdh_flux + yk * ketone_ox
        coupled = adp / (adp + k["coupling_adp_half"])
        atp_sat = atp / (atp + k["demand_half_saturation_atp"])
        basal_use = k["kc_basal_demand"] * atp_sat
        ltm_use = self._columns(self.local_consolidation, y) * cons
        if drive.ltm_rate is not None:
            ltm_use = ltm_use + self.ltm_cost_mm * self._columns(drive.ltm_rate, y)
        ltm_use = ltm_use * atp_sat
        pdh_target = control + mp1_mask * (p.mp1_max_activation * mp1 / (mp1 + p.mp1_half_activation))

        dy[lay.pyruvate] = transfer + 2.0 * kc_glycolysis - pdh_flux
        dy[lay.atp] = 2.0 * kc_glycolysis + coupled * oxidative - basal_use - ltm_use
        dy[lay.pdh] = (pdh_target - pdh) / p.pdh_time_constant
        dy[lay.glia_lactate] = 2.0 * sugar_glia - column_sum(transfer) * self.vk / self.vg
        dy[lay.glia_ketone] = ketogenesis - column_sum(ketone_ox) * self.vk / self.vg

        brain_glucose = (sugar_glia * self.vg + column_sum(kc_glycolysis) * self.vk) / MM_L_TO_FMOL * MM_L_TO_NMOL
        ketone_made = ketogenesis * self.vg * yk / MM_L_TO_FMOL * MM_L_TO_NMOL      # nmol ATP-eq/s
        dy[lay.glycogen] = glyc_syn - glyc_brk
        dy[lay.lipid] = lip_syn - gng * yg / (ytag * p.gluconeogenesis_efficiency) \
            - demand * (1.0 - sugar_share) * lip_avail / ytag - ketone_made / (ytag * p.ketogenesis_efficiency)
        dy[lay.hemolymph_sugar] = (feed - glyc_syn / p.glycogen_storage_efficiency
                                   - lip_syn / self.glucose_to_lipid + glyc_brk + gng
                                   - demand * sugar_share / yg - brain_glucose) / self.vh

        if not ledger:
            return dy
        i = self._counter
        share_basal = 1.0 / (1.0 + p.consolidation_systemic_increase * cons)
        dy[i["eaten"]] = feed * yg
        dy[i["body_basal"]] = burned * share_basal
        dy[i["body_consolidation"]] = burned * (1.0 - share_basal)
        dy[i["conversion_loss"]] = (glyc_syn * yg * (1.0 / p.glycogen_storage_efficiency - 1.0)
                        + lip_syn * ytag * (1.0 / p.lipid_storage_efficiency - 1.0)
                        + gng * yg * (1.0 / p.gluconeogenesis_efficiency - 1.0)
                        + ketone_made * (1.0 / p.ketogenesis_efficiency - 1.0))
        dy[i["brain_uptake"]] = brain_glucose * yg + ketone_made
        dy[i["glia_basal"]] = 2.0 * sugar_glia * self.vg
        dy[lay.cause_block["plasticity_LTM"]] = ltm_use * self.vk
        dy[lay.cause_block["basal"]] = (basal_use + (1.0 - coupled) * oxidative) * self.vk
        return dy

    @property
    def compartment_blocks(self) -> np.ndarray:
        """(n_comp, 3) state indices of each compartment's KC pyruvate, ATP and PDH activation:
        compartments interact only through hemolymph sugar, glia and the fly-wide drive, so these
        are independent diagonal blocks of the Jacobian."""
        lay = self.layout
        return np.stack([np.arange(lay.pyruvate.start, lay.pyruvate.stop),
                         np.arange(lay.atp.start, lay.atp.stop),
                         np.arange(lay.pdh.start, lay.pdh.stop)], axis=1)

    @cached_property
    def jac_sparsity(self) -> np.ndarray:
        """(n, n) 0/1 pattern of the Jacobian for solve_ivp(method="BDF"/"Radau", jac_sparsity=...)."""
        pattern = np.zeros((self.layout.size, self.layout.size))
        pattern[:, :self.layout.n_dynamic] = 1.0
        return pattern

    # --- spiking windows -----------------------------------------------------------------------
    def apply_window(self, y: np.ndarray, activity: WindowActivity) -> np.ndarray:
        """New state after debiting one window's ATP (spikes, release, labile/ARM plasticity).

        KC costs come out of the KC ATP of each compartment (never below 5% of the adenine pool;
        what cannot be paid is booked as ``atp_deficit``); other classes draw on hemolymph sugar.
        """
        p, lay = self.params, self.layout
        unknown = (set(activity.spikes_by_class) | set(activity.release_events)) - set(CELL_CLASSES)
        if unknown:
            raise ValueError(f"unknown cell classes {sorted(unknown)}; expected {CELL_CLASSES}")
        share = self._columns(self._kc_shares(activity.kc_spikes_by_compartment), y)
        costs = {  # fmol of ATP per compartment (and column)
            "spikes": share * activity.spikes_by_class.get("KC", 0.0) * p.spike_cost_KC * FMOL,
            "synapses": share * activity.release_events.get("KC", 0.0) * p.release_cost * FMOL,
            "plasticity_labile": self._columns(self._plasticity(activity, "labile"), y)
            * p.labile_cost_per_unit * FMOL,
            "plasticity_ARM": self._columns(self._plasticity(activity, "ARM"), y)
            * p.arm_cost_per_unit * FMOL,
        }
        wanted = sum(costs.values())
        atp = y[lay.atp]
        available = np.maximum(atp - _ATP_FLOOR * self.k_of["kc_adenine_total"], 0.0) * self.vk
        paid = np.minimum(wanted, available)
        fraction = np.divide(paid, wanted, out=np.zeros_like(paid), where=wanted > 0)
        out = y.copy()
        out[lay.atp] = atp - paid / self.vk
        for cause, cost in costs.items():
            out[lay.cause_block[cause]] += cost * fraction
        i = self._counter
        out[i["atp_deficit"]] += column_sum(wanted - paid)
        other = [c for c in CELL_CLASSES if c != "KC"]
        extrinsic_spikes = sum(activity.spikes_by_class.get(c, 0.0) * p.spike_cost(c) for c in other) * FMOL
        extrinsic_release = sum(activity.release_events.get(c, 0.0) for c in other) * p.release_cost * FMOL
        out[i["extrinsic_spikes"]] += extrinsic_spikes
        out[i["extrinsic_synapses"]] += extrinsic_release
        extrinsic_nmol = (extrinsic_spikes + extrinsic_release) / FMOL * NMOL
        out[lay.hemolymph_sugar] -= extrinsic_nmol / p.atp_per_glucose / self.vh
        out[i["brain_uptake"]] += extrinsic_nmol
        return out

    def _kc_shares(self, by_compartment) -> np.ndarray:
        if by_compartment is None or np.sum(by_compartment) <= 0:
            return np.full(self.n_comp, 1.0 / self.n_comp)
        weights = np.asarray(by_compartment, float)
        if weights.shape != (self.n_comp,) or np.any(weights < 0):
            raise ValueError(f"kc_spikes_by_compartment must be {self.n_comp} non-negative numbers")
        return weights / weights.sum()

    def _plasticity(self, activity: WindowActivity, phase: str) -> np.ndarray:
        values = activity.plasticity.get(phase)
        return np.zeros(self.n_comp) if values is None else np.asarray(values, float)

    # --- readouts --------------------------------------------------------------------------------
    def pyruvate_flux(self, y: np.ndarray) -> np.ndarray:
        """(n_comp,) mitochondrial pyruvate (PDH) flux per compartment [mol/s]."""
        k, lay = self.k_of, self.layout
        pyr = y[lay.pyruvate]
        mm_per_s = k["pdh_max"] * y[lay.pdh] * pyr / (pyr + k["pdh_pyruvate_half_saturation"])
        return mm_per_s * self.vk / FMOL

    def ltm_trigger(self, y: np.ndarray) -> float | np.ndarray:
        """Relative rise of PDH flux above its fed baseline, mean over MP1 target compartments (>= 0).

        Smooth ramp 0.5*(x + sqrt(x^2 + w^2)) of x = flux/fed_flux - 1 (w = trigger_smoothing), so
        the fed baseline gives w/2 and a fall of flux gives ~0. ``y`` may be (n,) or (n, k).
        """
        rise = self.pyruvate_flux(y) / self._columns(self.fed_flux, y) - 1.0
        w = self.params.trigger_smoothing
        ramp = 0.5 * (rise + np.sqrt(rise * rise + w * w))
        mean = column_sum(ramp * self._columns(self.mp1_mask, y)) / np.sum(self.mp1_mask)
        return float(mean) if y.ndim == 1 else mean

    def reserve_energy(self, y: np.ndarray) -> np.ndarray:
        """Body reserves (glycogen + lipid + hemolymph sugar) [mol ATP-equivalents]; y may be (n, ...)."""
        p, lay = self.params, self.layout
        nmol = (y[lay.glycogen] * p.atp_per_glucose + y[lay.lipid] * p.atp_per_tag
                + y[lay.hemolymph_sugar] * self.vh * p.atp_per_glucose)
        return nmol / NMOL

    @cached_property
    def death_threshold(self) -> float:
        """Reserve energy [mol ATP-eq] below which a fly is dead."""
        reserves = self.reserve_energy(self.fed_steady_state)
        return self.params.death_reserve_fraction * (reserves if self.batch_size else float(reserves))

    def is_dead(self, y: np.ndarray) -> bool:
        """True when the body reserves are below :attr:`death_threshold`."""
        return bool(self.reserve_energy(y) < self.death_threshold)

    def check_state(self, t: float, y: np.ndarray) -> None:
        """Raise SimulationError naming the first non-finite or negative concentration at time t.

        ``y`` is (n,) or (n, k) (columns: flies or parameter vectors); n may stop after the dynamic
        rows."""
        table = y.reshape(len(y), -1)
        rows = np.arange(len(y))
        bad = ~np.isfinite(table)
        bad |= ((rows < self.layout.n_dynamic)[:, None]
                & (table < -1e-6 * self.layout.scales[:len(y), None]))
        if bad.any():
            i, column = np.unravel_index(int(np.argmax(bad)), bad.shape)
            where = f" (column {column})" if y.ndim == 2 else ""
            raise SimulationError(f"metabolism state '{self.names[i]}' = {table[i, column]!r} "
                                  f"{self.units[i]} at t = {t:g} s{where} is not a valid value")

    # --- initial and reference states ------------------------------------------------------------
    def initial_state(self, fed: bool, rng: np.random.Generator | None = None) -> np.ndarray:
        """Fed steady state (or after 24 h of starvation), with ledger counters at zero.

        With ``rng``, glycogen and lipid are scaled by independent log-normal factors of
        coefficient of variation ``reserve_variability_cv`` (fly-to-fly variability).
        """
        y = (self.fed_steady_state if fed else self._starved_state).copy()
        if rng is not None and self.params.reserve_variability_cv > 0:
            sigma = np.sqrt(np.log1p(self.params.reserve_variability_cv ** 2))
            y[self.layout.stores] *= rng.lognormal(-0.5 * sigma ** 2, sigma, size=2)
        return y

    @cached_property
    def fed_steady_state(self) -> np.ndarray:
        """State of a fly fed long enough for reserves to settle (ledger at zero)."""
        shape = (self.layout.size,) + ((self.batch_size,) if self.batch_size else ())
        if self.steady_guess is not None:    # e.g. the steady state of nearby parameters
            guess = np.reshape(self.steady_guess, (-1,) + (1,) * (len(shape) - 1))
            y0 = np.array(np.broadcast_to(guess, shape))
        else:
            lay, y0 = self.layout, np.zeros(shape)
            y0[lay.glycogen] = 0.8 * self.rate_nmol["glycogen_capacity"]
            y0[lay.lipid] = 0.8 * self.rate_nmol["lipid_capacity"]
            y0[lay.hemolymph_sugar] = self.k_of["feeding_half_inhibition"]
            y0[lay.glia_lactate] = 1.0
            y0[lay.pyruvate] = 0.1
            y0[lay.atp] = 0.8 * self.k_of["kc_adenine_total"]
            y0[lay.pdh] = 0.5
        y = self._integrate(y0, _FED_BASELINE, _STEADY_DURATION)
        return self.zero_ledger(y)

    @cached_property
    def _starved_state(self) -> np.ndarray:
        y = self._integrate(self.fed_steady_state, Drive(fed=False), _PRESTARVATION)
        return self.zero_ledger(y)

    @cached_property
    def fed_flux(self) -> np.ndarray:
        """(n_comp,) PDH flux of the fed steady state [mol/s]: the reference of the LTM trigger."""
        return self.pyruvate_flux(self.fed_steady_state)

    def zero_ledger(self, y: np.ndarray) -> np.ndarray:
        """Copy of ``y`` with every cumulative counter set to zero."""
        out = y.copy()
        out[self.layout.n_dynamic:] = 0.0
        return out

    def _integrate(self, y0: np.ndarray, drive: Drive, duration: float) -> np.ndarray:
        if self.batch_size:
            return self._integrate_columns(y0, drive, duration)
        sol = solve_ivp(self.derivatives, (0.0, duration), y0, method="BDF", args=(drive,),
                        jac_sparsity=self.jac_sparsity,
                        rtol=1e-8, atol=1e-10 * self.layout.scales)
        if not sol.success:
            raise SimulationError(f"metabolism reference state did not converge: {sol.message}")
        self.check_state(sol.t[-1], sol.y[:, -1])
        return sol.y[:, -1]

    def _integrate_columns(self, y0: np.ndarray, drive: Drive, duration: float) -> np.ndarray:
        """:meth:`_integrate` for batched parameters: the dynamic rows of every column together."""
        n = self.layout.n_dynamic
        solver = BatchBDF(1e-6, 1e-9 * self.layout.scales[:n],
                          newton_matrices=ArrowNewton(n, self.compartment_blocks))
        solution = solver.integrate(lambda t, y: self.derivatives(t, y, drive), 0.0, duration,
                                    y0[:n], jac=lambda t, y: metabolism_jacobian(self, y, drive).state)
        out = y0.copy()
        out[:n] = solution.y
        self.check_state(duration, out)
        return out

    # --- ledger ----------------------------------------------------------------------------------
    def ledger(self, y: np.ndarray) -> dict:
        """Cumulative ATP [mol ATP-eq]: by cause x compartment in the MB, body and brain counters."""
        lay = self.layout
        atp = np.stack([y[lay.cause_block[c]] for c in CAUSES]) / FMOL
        body = {name: float(y[lay.counter(name)]) / NMOL for name in BODY_COUNTERS}
        brain = {name: float(y[lay.counter(name)]) / FMOL for name in BRAIN_COUNTERS}
        return {"causes": CAUSES, "compartments": self.compartments, "atp": atp,
                **body, **brain, "body_storage": float(self.reserve_energy(y)),
                "brain_storage": self.brain_storage(y)}

    def brain_storage(self, y: np.ndarray) -> float:
        """ATP equivalents held in glia and KC pools [mol]."""
        p, lay = self.params, self.layout
        glia = y[lay.glia_lactate] * p.atp_per_pyruvate + y[lay.glia_ketone] * p.atp_per_ketone
        fmol = glia * self.vg + (y[lay.pyruvate] * p.atp_per_pyruvate + y[lay.atp]).sum() * self.vk
        return float(fmol) / FMOL
