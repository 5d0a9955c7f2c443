"""The compiled-network cache heals itself: damaged entries are found and rebuilt, children of a
killed run die with it, its chunk folders are reclaimed, and ``mbsim cache`` shows and clears it."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from mbsim.cli import main
from mbsim.connectome import load_default
from mbsim.network import MushroomBodyNetwork
from mbsim.network import compiled as compiled_module


@pytest.fixture(scope="module")
def net(params):
    network = MushroomBodyNetwork(load_default(), params)
    network.compile()
    return network


@pytest.fixture
def cache(net, tmp_path, monkeypatch):
    """A private cache folder holding a copy of the default network's intact entry."""
    monkeypatch.setenv("MBSIM_CACHE", str(tmp_path / "cache"))
    source = net.compile().directory
    entry = compiled_module.cache_entry(net.structure, net.params)
    shutil.copytree(source, entry)
    return entry


@pytest.fixture
def counted_builds(cache, monkeypatch):
    """Builds replaced by copying the intact entry (a real build compiles for ~20 s)."""
    intact = tempfile.mkdtemp(prefix="intact-")
    shutil.copytree(cache, intact, dirs_exist_ok=True)
    builds = []

    def build(structure, params, directory, pn_spikes=False):
        builds.append(directory)
        shutil.copytree(intact, directory, dirs_exist_ok=True)
        (directory / "manifest.json").unlink()
        return {k: v for k, v in json.loads((Path(intact) / "manifest.json").read_text()).items()
                if k != "checksums"}
    monkeypatch.setattr(compiled_module, "_build", build)
    yield builds
    shutil.rmtree(intact, ignore_errors=True)


def test_intact_entry_is_used_without_building(net, cache, counted_builds):
    assert compiled_module.verified_manifest(cache) == (
        json.loads((cache / "manifest.json").read_text()), "")
    compiled_module.compiled_network(net.structure, net.params)
    assert counted_builds == []


@pytest.mark.parametrize("damage, reason", [
    (lambda entry: (entry / "main").write_bytes((entry / "main").read_bytes()[:1000]), "differ"),
    (lambda entry: (entry / "main").unlink(), "differ"),
    (lambda entry: next((entry / "static_arrays").glob("*")).write_bytes(b"\0"), "static_arrays"),
    (lambda entry: (entry / "manifest.json").write_text('{"bins": 10'), "unreadable manifest"),
    (lambda entry: (entry / "manifest.json").write_text('{"bins": 10}'), "unreadable manifest"),
])
def test_damaged_entry_is_rebuilt_once_with_a_warning(net, cache, counted_builds, damage, reason,
                                                      caplog):
    damage(cache)
    manifest, found = compiled_module.verified_manifest(cache)
    assert manifest is None and reason in found
    assert not compiled_module.is_cached(net.structure, net.params)
    with caplog.at_level(logging.WARNING, logger="mbsim.network.compiled"):
        rebuilt = compiled_module.compiled_network(net.structure, net.params)
    assert len(counted_builds) == 1
    assert "damaged" in caplog.text and str(cache) in caplog.text
    assert compiled_module.verified_manifest(rebuilt.directory)[0] is not None
    compiled_module.compiled_network(net.structure, net.params)
    assert len(counted_builds) == 1          # healed: the next use finds it intact


def test_a_binary_that_cannot_run_names_its_folder_and_the_remedy(net, cache):
    (cache / "main").write_bytes(b"not a program")
    broken = compiled_module.CompiledNetwork(cache, json.loads((cache / "manifest.json").read_text()))
    with pytest.raises(compiled_module.SimulationError, match="mbsim cache clear") as error:
        broken.run_chunk({})
    assert str(cache) in str(error.value)


def test_cache_info_and_clear(net, cache, capsys):
    assert main(["cache", "info"]) == 0
    out = capsys.readouterr().out
    assert str(cache.parent.parent) in out and cache.name in out and "intact" in out
    (cache / "main").write_bytes(b"")
    assert main(["cache", "info"]) == 0
    assert "damaged" in capsys.readouterr().out
    assert main(["cache", "clear"]) == 0
    assert "removed" in capsys.readouterr().out
    assert not cache.exists() and compiled_module.cache_entries() == []


KILLED_RUN = textwrap.dedent("""
    from mbsim.connectome import load_default
    from mbsim.network import MushroomBodyNetwork, OdorPulse, Window
    net = MushroomBodyNetwork(load_default())
    print("ready", flush=True)
    net.simulate(Window(600.0, odors=(OdorPulse("3-octanol", 0.0, 600.0),), seed=1))
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_kill_9_leaves_no_child_and_the_chunk_folder_is_reclaimed(net):
    run = subprocess.Popen([sys.executable, "-c", KILLED_RUN], stdout=subprocess.PIPE, text=True)
    assert run.stdout.readline().strip() == "ready"
    parent = psutil.Process(run.pid)
    deadline = time.monotonic() + 60
    while not parent.children() and time.monotonic() < deadline:
        time.sleep(0.05)
    children = parent.children()
    assert children, "the compiled network never started"
    folders = list(Path(tempfile.gettempdir()).glob(f"{compiled_module.CHUNK_PREFIX}{run.pid}-*"))
    assert folders
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    gone, alive = psutil.wait_procs(children, timeout=5)
    assert not alive, "the compiled network outlived its killed parent"
    assert all(folder.exists() for folder in folders)   # kill -9 leaves them; the next run:
    compiled_module.reclaim_chunk_folders()
    assert not any(folder.exists() for folder in folders)
