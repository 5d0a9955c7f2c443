"""Non-finite and far-away quantities: infinite or beyond-horizon times and durations, sums that
overflow, infinite or absurd dilutions; each is one located InputError before any work."""

from __future__ import annotations

import pytest

from bad_input import changed, refused


@pytest.mark.parametrize("old, new, field", [
    ("times: [3 min, 1 h, 3 h, 24 h, 4 d]", "times: [3 min, 1e300 d]", "tests.times[1]"),
    ("times: [3 min, 1 h, 3 h, 24 h, 4 d]", "times: [3 min, 1e309 d]", "tests.times[1]"),
    ("times: [3 min, 1 h, 3 h, 24 h, 4 d]", "times: [3 min, 400 d]", "tests.times[1]"),
    ("type: single", "type: single\n  cs_duration: 1e309 s", "training.cs_duration"),
    ("type: single", "type: single\n  cs_duration: 1e308 s", "training.cs_duration"),
    ("type: single", "type: spaced\n  repeat: 2\n  iti: 1e308 d", "training.iti"),
    ("name: 3-octanol}", "name: 3-octanol, concentration: .inf}", "odors.cs_plus.concentration"),
    ("name: 3-octanol}", "name: 3-octanol, concentration: 1e6}", "odors.cs_plus.concentration"),
    ("pulse_duration: 1.5 s", "pulse_duration: 1e308 s", "training.reinforcement.shock.pulse_duration"),
])
def test_non_finite_and_far_values_are_refused_with_their_field(old, new, field):
    refused(changed(old, new), field)
