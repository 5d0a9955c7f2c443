"""Brian2 model of the mushroom body: equations of each group and the counter-based noise functions.

Noise comes from a hash of (window seed, stream, neuron, time step) instead of a stateful generator,
so a compiled network gives fresh noise for every window seed, bit-identical results for the same
seed, and the same spikes whether a window is run in one piece or in chunks.
"""

from __future__ import annotations

import brian2 as b2

UNIFORM_CODE = """
static inline uint64_t _mb_mix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}
static inline double noise_uniform(double seed, int stream, int index, double step) {
    uint64_t h = _mb_mix((uint64_t)seed * 0x100000001B3ULL + (uint64_t)stream);
    h = _mb_mix(h ^ ((uint64_t)(uint32_t)index << 20));
    h = _mb_mix(h ^ (uint64_t)step);
    return (double)(h >> 11) * (1.0 / 9007199254740992.0);
}
"""
NORMAL_CODE = """
static inline double noise_normal(double seed, int stream, int index, double step) {
    double u1 = 1.0 - noise_uniform(seed, 2 * stream, index, step);
    double u2 = noise_uniform(seed, 2 * stream + 1, index, step);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
"""

#: Noise streams (one per use) so that groups never share random numbers.
STREAM_PN, STREAM_MBON, STREAM_DAN = 1, 2, 4  # normal draws use 2s, 2s+1


def _noise_function(name: str) -> b2.Function:
    def unavailable(*args):
        raise NotImplementedError(f"{name} exists only in the compiled (cpp_standalone) network")
    return b2.Function(unavailable, arg_units=[1, 1, 1, 1], return_unit=1,
                       arg_types=["float", "integer", "integer", "float"], return_type="float")


#: The APL's output, activity x release: one value that every KC reads. A function of the APL's
#: arrays instead of a linked variable, because a linked variable is read through an index array
#: per KC (a gather) that keeps gcc from vectorising the KC state update (measured: that loop is
#: ~40% of a chunk). Brian2 evaluates an argument-free stateless function once per step.
APL_INHIBITION_CODE = """
static inline double apl_inhibition() {
    return brian::_array_apl_activity[0] * brian::_array_apl_release[0];
}
"""


def apl_inhibition() -> b2.Function:
    def unavailable():
        raise NotImplementedError("apl_inhibition exists only in the compiled network")
    function = b2.Function(unavailable, arg_units=[], return_unit=1, arg_types=[],
                           return_type="float")
    function.implementations.add_implementation("cpp", code=APL_INHIBITION_CODE,
                                                name="apl_inhibition")
    return function


def noise_functions() -> dict[str, b2.Function]:
    """The two hash-noise functions with their C++ code, to put into the groups' namespaces."""
    uniform = _noise_function("noise_uniform")
    normal = _noise_function("noise_normal")
    uniform.implementations.add_implementation("cpp", code=UNIFORM_CODE, name="noise_uniform")
    normal.implementations.add_implementation("cpp", code=NORMAL_CODE, name="noise_normal",
                                              dependencies={"noise_uniform": uniform})
    return {"noise_uniform": uniform, "noise_normal": normal}


STEP = "(step_offset(t) + t_in_timesteps)"

#: Every group reads its inputs from the tables once per input bin (run_regularly), not every step.
MANIPULATION = """
manipulation_set : integer (constant)
release : 1
"""
RELEASE_UPDATE = "release = release_gate(t, manipulation_set)"
ACTIVATION = "I_activation : amp\n"
ACTIVATION_UPDATE = "I_activation = activation_current * activation_gate(t, manipulation_set)"

#: PNs fire as Poisson units (PN activation is written into their rate table); they are counted.
PN_EQUATIONS = MANIPULATION + """
rate : Hz
spike_count : integer
release_count : integer
"""
PN_UPDATE = "rate = pn_rate(t, i)\n" + RELEASE_UPDATE
PN_THRESHOLD = f"noise_uniform(window_seed(t), {STREAM_PN}, i, {STEP}) < rate * dt"
PN_RESET = "spike_count += 1\nrelease_count += int(release > 0.5)"

KC_EQUATIONS = """
dv/dt = (kc_leak_conductance * (kc_rest - v) + I_pn - I_adaptation - I_apl + I_activation) / kc_capacitance : volt
dI_pn/dt = -I_pn / kc_synapse_tau : amp
dI_adaptation/dt = -I_adaptation / kc_adaptation_tau : amp
I_apl = apl_weight * apl_inhibition() : amp
apl_weight : amp (constant)
""" + MANIPULATION + ACTIVATION
KC_UPDATE = RELEASE_UPDATE + "\n" + ACTIVATION_UPDATE

APL_EQUATIONS = """
dactivity/dt = -activity / apl_tau : 1
""" + MANIPULATION


def _spiking(prefix: str, inputs: str) -> str:
    """LIF with bias, inputs, activation and a noise current held for one noise interval."""
    return (f"dv/dt = ({prefix}_leak_conductance * ({prefix}_rest - v) + {prefix}_bias_current + {inputs}"
            f" + I_activation + I_noise) / {prefix}_capacitance : volt\n"
            "I_noise : amp\n" + MANIPULATION + ACTIVATION)


def noise_update(prefix: str, stream: int, index: str = "i") -> str:
    """Draw the noise current; its amplitude gives membrane noise of s.d. ``<prefix>_noise``.
    ``index`` names the neuron in the noise hash (a copy of a neuron draws its noise)."""
    leak = f"{prefix}_leak_conductance"
    return (f"I_noise = {prefix}_noise * {leak} * sqrt(2 * {prefix}_capacitance / "
            f"({leak} * noise_interval)) * noise_normal(window_seed(t), {stream}, {index}, {STEP})")


MBON_EQUATIONS = _spiking("mbon", "I_kc") + """
dI_kc/dt = -I_kc / mbon_synapse_tau : amp
noise_index : integer (constant)
"""
MBON_UPDATE = KC_UPDATE

DAN_EQUATIONS = _spiking("dan", "I_us") + """
I_us : amp
shock_gain : 1 (constant)
sugar_gain : 1 (constant)
"""

#: The recurrent network (``recurrent`` > 0): MBONs also receive MBON and DAN input, DANs MBON
#: input (signed synaptic currents decaying with ``recurrent_synapse_tau``), and DANs are copied
#: per readout column like MBONs (``noise_index``: the DAN whose noise a copy draws).
RECURRENT_MBON_EQUATIONS = _spiking("mbon", "I_kc + I_recurrent") + """
dI_kc/dt = -I_kc / mbon_synapse_tau : amp
dI_recurrent/dt = -I_recurrent / recurrent_synapse_tau : amp
noise_index : integer (constant)
"""
RECURRENT_DAN_EQUATIONS = _spiking("dan", "I_us + I_recurrent") + """
dI_recurrent/dt = -I_recurrent / recurrent_synapse_tau : amp
I_us : amp
shock_gain : 1 (constant)
sugar_gain : 1 (constant)
noise_index : integer (constant)
"""
DAN_UPDATE = KC_UPDATE + ("\nI_us = shock_current * shock_gain * us_drive(t, 0)"
                          " + sugar_current * sugar_gain * us_drive(t, 1)")

PN_KC_ON_PRE = "I_pn_post += weight * release_pre"
KC_APL_ON_PRE = "activity_post += weight * release_pre"
KC_MBON_MODEL = "weight : amp (constant)\nefficacy : 1"
KC_MBON_ON_PRE = "I_kc_post += weight * efficacy * release_pre"
RECURRENT_ON_PRE = "I_recurrent_post += weight * release_pre"
