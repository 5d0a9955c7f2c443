"""Which spike trains a run keeps: cell classes, windows and flies, and what that will weigh.

A :class:`Recording` is part of the run settings. Spikes come from the compiled network's
windows; asking for them never changes a number (a window is a pure function of its inputs), only
what the result keeps, under ``/spikes`` (docs/output-format.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from ..errors import InputError
from ..limits import MAX_COHORT
from ..stimulus import SPIKING_CLASSES
from .windows import TEST_DURATION, trial_label

#: Mean rates [Hz] the size estimate assumes per class: above the default network's rates in
#: odor windows (PN ~13, KC ~0.1, MBON ~25, DAN ~1 Hz; assumption, an estimate, not a bound).
ESTIMATE_RATES_HZ = {"PN": 15.0, "KC": 0.5, "MBON": 30.0, "DAN": 5.0}
#: Bytes per stored spike before compression: neuron (int32), fly and window (int32), time (float64).
BYTES_PER_SPIKE = 4 + 4 + 4 + 8


@dataclass(frozen=True)
class Recording:
    """Spike trains to keep: ``classes`` (of PN, KC, MBON, DAN), in windows whose label matches
    one of ``windows`` (shell patterns such as ``"training trial 1"`` or ``"test at *"``), for
    the flies (cohort indices) in ``flies``. No classes: nothing beyond the default raster."""

    classes: tuple[str, ...] = ()
    windows: tuple[str, ...] = ("*",)
    flies: tuple[int, ...] = (0,)

    def __post_init__(self):
        object.__setattr__(self, "classes", tuple(self.classes))
        object.__setattr__(self, "windows", tuple(self.windows))
        object.__setattr__(self, "flies", tuple(self.flies))
        for name in self.classes:
            if name not in SPIKING_CLASSES:
                graded = " (the APL is graded and does not spike)" if name == "APL" else ""
                raise InputError(found=f"cell class {name!r}{graded}",
                                 expected=f"some of {', '.join(SPIKING_CLASSES)}",
                                 field="record.classes", example="KC,MBON,DAN")
        if not self.windows or not all(isinstance(w, str) and w for w in self.windows):
            raise InputError(found=f"windows {self.windows!r}", field="record.windows",
                             expected="window labels or patterns",
                             example="'training trial 1,test at *'")
        if self.classes and not self.flies:
            raise InputError(found="no flies", field="record.flies",
                             expected="at least one cohort index", example="--record-flies 0")
        for fly in self.flies:
            if isinstance(fly, bool) or not isinstance(fly, int) or not 0 <= fly < MAX_COHORT:
                raise InputError(found=f"fly {fly!r}", field="record.flies",
                                 expected=f"cohort indices from 0 to {MAX_COHORT - 1}")

    def keeps(self, label: str) -> bool:
        """True when the window of this label is recorded."""
        return bool(self.classes) and any(fnmatchcase(label, w) for w in self.windows)

    def windows_of(self, schedule) -> list[tuple[str, float]]:
        """(label, duration [s]) of the protocol's windows this recording keeps."""
        return [(label, duration) for label, duration in window_labels(schedule)
                if self.keeps(label)]

    def estimated_bytes(self, schedule, class_sizes: dict, cohort: int) -> int:
        """Size of the kept spikes before compression, at :data:`ESTIMATE_RATES_HZ`."""
        flies = sum(1 for fly in set(self.flies) if fly < cohort)
        seconds = sum(duration for _, duration in self.windows_of(schedule))
        rate = sum(class_sizes[c] * ESTIMATE_RATES_HZ[c] for c in self.classes)
        return int(flies * seconds * rate * BYTES_PER_SPIKE)


def window_labels(schedule) -> list[tuple[str, float]]:
    """(label, duration [s]) of every spiking window of a schedule, in time order."""
    every = [(trial_label(t), t.stimulus_duration) for t in schedule.trials]
    return every + [(test.label, TEST_DURATION) for test in schedule.tests]


def parse_recording(classes: str, windows: str, flies: str) -> Recording:
    """A recording from the command line: ``"KC,MBON"`` or ``"all"``, ``"test at *,training
    trial 1"``, ``"0,2-4"``."""
    names = SPIKING_CLASSES if classes.strip() == "all" else tuple(
        c.strip() for c in classes.split(",") if c.strip())
    chosen = []
    for part in (p.strip() for p in flies.split(",") if p.strip()):
        first, dash, last = part.partition("-")
        try:
            chosen += list(range(int(first), int(last) + 1)) if dash else [int(first)]
        except ValueError:
            raise InputError(found=f"--record-flies {flies!r}", expected="fly indices and ranges",
                             example="--record-flies 0,2-4") from None
    return Recording(names, tuple(w.strip() for w in windows.split(",") if w.strip()),
                     tuple(dict.fromkeys(chosen)))
