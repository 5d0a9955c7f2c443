"""What can be checked before simulating is checked before: the result's folder, name and room on
disk; a write that fails anyway says so once, leaves no temporary file and keeps the older file."""

from __future__ import annotations

import errno
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from mbsim import io
from mbsim.cli import main
from mbsim.errors import InputError
from result_factory import make_result

TESTS_DIR = Path(__file__).resolve().parent


def fails_fast(argv, capsys, code=2) -> str:
    started = time.perf_counter()
    assert main(argv) == code
    assert time.perf_counter() - started < 15, "the check came after the simulation"
    return capsys.readouterr().err


def test_missing_folder_is_refused_before_simulating(tmp_path, capsys):
    err = fails_fast(["run", "aversive_1x", "-o", str(tmp_path / "no" / "x.h5")], capsys)
    assert "no folder" in err


def test_long_file_name_and_folder_as_output_are_refused(tmp_path, capsys):
    err = fails_fast(["run", "aversive_1x", "-o", str(tmp_path / ("a" * 300 + ".h5"))], capsys)
    assert "file name of 303 bytes" in err
    err = fails_fast(["run", "aversive_1x", "-o", str(tmp_path)], capsys)
    assert "is a folder" in err


def test_unwritable_folder_is_refused_before_simulating(tmp_path, capsys, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")
    monkeypatch.setattr(io.tempfile, "NamedTemporaryFile", refuse)
    err = fails_fast(["run", "aversive_1x", "-o", str(tmp_path / "x.h5")], capsys)
    assert "cannot write (Permission denied)" in err


def test_a_full_disk_is_refused_before_simulating(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(io.shutil, "disk_usage", lambda path: type("U", (), {"free": 1000})())
    err = fails_fast(["run", "aversive_1x", "-o", str(tmp_path / "x.h5")], capsys)
    assert "MiB free" in err and "room for the result" in err
    assert list(tmp_path.iterdir()) == []


def test_save_without_room_writes_nothing_and_keeps_the_old_file(tmp_path, monkeypatch):
    destination = io.save(make_result(seed=1), tmp_path / "result.h5")
    before = destination.read_bytes()
    monkeypatch.setattr(io.shutil, "disk_usage", lambda path: type("U", (), {"free": 10})())
    with pytest.raises(OSError, match="not enough room.*nothing was written") as info:
        io.save(make_result(seed=2), destination)
    assert info.value.errno == errno.ENOSPC
    assert destination.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.h5"]


def test_a_write_error_is_one_message_and_keeps_the_old_file(tmp_path, monkeypatch):
    destination = io.save(make_result(seed=1), tmp_path / "result.h5")
    before = destination.read_bytes()

    def full(path):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(io, "_fsync", full)
    with pytest.raises(OSError, match="No space left on device.*older file of that name is intact"):
        io.save(make_result(seed=2), destination)
    assert destination.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.h5"]


WRITE_LARGE = """
import sys
sys.path.insert(0, {tests!r})
from result_factory import make_result
from mbsim import io
try:
    io.save(make_result(seed=7, size="large"), {destination!r})
except OSError as error:
    print(error, file=sys.stderr)
    sys.exit(1)
"""


def test_a_really_full_file_system_fails_cleanly():
    """A 16 MiB tmpfs and a 220 MB result (needs permission to mount; skipped otherwise): exit 1,
    no crash, the older file intact, nothing else left."""
    folder = Path(tempfile.mkdtemp(prefix="mbsim-full-"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(folder)],
                             capture_output=True)
    if mounted.returncode != 0:
        folder.rmdir()
        pytest.skip("cannot mount a small tmpfs here")
    try:
        old = io.save(make_result(seed=1), folder / "result.h5")
        before = old.read_bytes()
        done = subprocess.run([sys.executable, "-c", WRITE_LARGE.format(
            tests=str(TESTS_DIR), destination=str(old))], capture_output=True, text=True)
        assert done.returncode == 1, (done.returncode, done.stderr)
        assert "nothing was written" in done.stderr and "Traceback" not in done.stderr
        assert old.read_bytes() == before
        assert sorted(p.name for p in folder.iterdir()) == ["result.h5"]
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True)
        folder.rmdir()


def test_check_destination_accepts_a_good_path(tmp_path):
    assert io.check_destination(tmp_path / "x.h5", 1) == tmp_path / "x.h5"
    with pytest.raises(InputError):
        io.check_destination(tmp_path / "missing" / "x.h5")
