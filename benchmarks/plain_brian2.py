"""A plain Brian2 model of the same mushroom body, as a user would write it: the speed reference.

Every connected pair of the connectome (~109k in hemibrain v1.2.1) is one conductance synapse of a
leaky integrate-and-fire network (dt 0.1 ms; APL and other GABAergic outputs inhibitory), the PNs
are driven by Poisson input, and a spike monitor records every neuron. ``copies`` replicates the
whole network side by side in the same groups (independent flies), to measure what replication
saves per fly. Used by ``bench_throughput.py``; the constants are ordinary LIF values, not mbsim's.
"""

from __future__ import annotations

import subprocess
import tempfile
import time

import numpy as np

INHIBITORY = ("APL",)


def build_and_run(connectome, copies: int = 1, duration: float = 10.0) -> dict:
    """Compile the plain model with ``copies`` networks and run it once: times in seconds."""
    import brian2 as b2
    directory = tempfile.mkdtemp(prefix="plain-brian2-")
    b2.set_device("cpp_standalone", directory=directory, build_on_run=False)
    b2.device.reinit()
    b2.device.activate(directory=directory, build_on_run=False)
    b2.prefs.codegen.cpp.extra_compile_args_gcc = ["-w", "-O3", "-ffast-math", "-march=native"]
    b2.defaultclock.dt = 0.1 * b2.ms
    neurons = connectome.neurons.reset_index(drop=True)
    n = len(neurons)
    position = {i: k for k, i in enumerate(neurons["id"])}
    pairs = connectome.pair_weights()
    pre = pairs["pre"].map(position).to_numpy()
    post = pairs["post"].map(position).to_numpy()
    inhibitory = neurons["cell_class"].isin(INHIBITORY).to_numpy()[pre]
    model = """
    dv/dt = (gl * (El - v) + ge * (Ee - v) + gi * (Ei - v)) / C : volt (unless refractory)
    dge/dt = -ge / (5 * ms) : siemens
    dgi/dt = -gi / (10 * ms) : siemens
    """
    ns = {"gl": 5 * b2.nS, "El": -60 * b2.mV, "Ee": 0 * b2.mV, "Ei": -80 * b2.mV, "C": 100 * b2.pF}
    group = b2.NeuronGroup(n * copies, model, threshold="v > -45*mV", reset="v = -60*mV",
                           refractory=2 * b2.ms, method="euler", namespace=ns)
    group.v = -60 * b2.mV
    offsets = n * np.arange(copies)[:, None]
    synapses = []
    for mask, target in ((~inhibitory, "ge"), (inhibitory, "gi")):
        if not mask.any():
            continue
        syn = b2.Synapses(group, group, "w : siemens (constant)", on_pre=f"{target}_post += w")
        syn.connect(i=(pre[mask][None, :] + offsets).ravel(),
                    j=(post[mask][None, :] + offsets).ravel())
        syn.w = np.tile(0.05 * pairs["weight"].to_numpy()[mask], copies) * b2.nS
        synapses.append(syn)
    pns = np.flatnonzero(neurons["cell_class"].to_numpy() == "PN")
    drive = b2.PoissonGroup(len(pns) * copies, rates=40 * b2.Hz)
    feed = b2.Synapses(drive, group, on_pre="ge_post += 3*nS")
    feed.connect(i=np.arange(len(pns) * copies), j=(pns[None, :] + offsets).ravel())
    monitor = b2.SpikeMonitor(group)
    b2.Network(group, *synapses, drive, feed, monitor).run(duration * b2.second)
    started = time.perf_counter()
    b2.device.build(directory=directory, compile=True, run=False, with_output=False)
    compiled = time.perf_counter() - started
    started = time.perf_counter()
    subprocess.run(["./main"], cwd=directory, check=True, capture_output=True)
    ran = time.perf_counter() - started
    b2.device.reinit()
    b2.set_device("runtime")
    steps = duration / float(b2.defaultclock.dt)
    return {"pairs": len(pairs), "copies": copies, "compile_s": compiled, "run_s": ran,
            "us_per_step": ran / steps * 1e6, "x_real_time_per_fly": duration * copies / ran}
