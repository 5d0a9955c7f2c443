"""Keys given twice are refused in parameter files as in protocol files, at the second key's line."""

from __future__ import annotations

import pytest

from mbsim.errors import InputError
from mbsim.paths import PROJECT_ROOT


MEMORY = (PROJECT_ROOT / "data" / "params" / "memory.yaml").read_text()


@pytest.mark.parametrize("old, new, line", [
    ("  tau_labile:\n    value: ", "  tau_labile:\n    value: 2 h\n    value: ", 10),
    ("parameters:\n", "parameters:\n  arm_fraction:\n    value: 0.3\n    source: x\n", None),
])
def test_parameter_files_refuse_keys_given_twice(tmp_path, old, new, line):
    path = tmp_path / "memory.yaml"
    assert old in MEMORY
    path.write_text(MEMORY.replace(old, new, 1))
    from mbsim.parameters import ParameterSet
    from mbsim.engine.memory import MEMORY as DECLARATIONS
    with pytest.raises(InputError, match="a second time") as info:
        ParameterSet.from_file(DECLARATIONS, path)
    assert str(path) in str(info.value)
    if line is not None:
        assert info.value.line == line
