"""Files that used to raise internal errors: each is now one located InputError (exit 2)."""

from __future__ import annotations

import numpy as np
import pytest

from bad_input import changed, refused
from mbsim.errors import InputError
from mbsim.fit.checkpoint import Checkpoint
from mbsim.fit.data import read_table


def test_an_empty_lab_table_is_an_input_error(tmp_path):
    path = tmp_path / "retention.csv"
    path.write_text("")
    with pytest.raises(InputError, match="an empty file"):
        read_table(path, "retention")


def test_a_truncated_checkpoint_is_an_input_error(tmp_path):
    folder = tmp_path / "checkpoint"
    folder.mkdir()
    np.savez(folder / "0.npz", x=np.zeros((2, 3)), log_posterior=np.zeros(2),
             predictions=np.zeros((2, 4)))
    data = (folder / "0.npz").read_bytes()
    (folder / "0.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="damaged checkpoint") as info:
        Checkpoint(folder, "0").load()
    assert "0.npz" in str(info.value)


def test_an_intervention_without_kind_names_the_kinds():
    text = changed("feeding:", "interventions:\n  - {from: 1 h, to: 2 h}\nfeeding:")
    message = refused(text, "interventions[0].kind")
    assert "'cold_shock'" in message and "'block'" in message
