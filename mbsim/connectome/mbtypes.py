"""Mushroom body typing shared by every loader: cell class, KC subtype, compartments, valence.

The MBON/DAN table with compartments, valence, transmitter and literature sources is the data file
``connectome/mb_types.csv``; this module reads it and turns data-set type names (hemibrain,
FlyWire, larva) into the one vocabulary of :data:`~mbsim.connectome.core.NEURON_COLUMNS`.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd

from ..paths import CONNECTOME_DIR

#: The adult MB lobe compartments in canonical order (Aso et al. 2014a eLife).
COMPARTMENTS = ("g1", "g2", "g3", "g4", "g5", "b'1", "b'2", "a'1", "a'2", "a'3",
                "a1", "a2", "a3", "b1", "b2")
#: Compartment names that are not lobe compartments but may appear in ``compartments``.
EXTRA_COMPARTMENTS = ("pedc", "calyx")
#: KC subtypes with their lobe class; the fine subtypes follow hemibrain v1.2.1 (Li et al. 2020),
#: the coarse ones (``KCg``, ``KCa'b'``, ``KCab``) are used when a data set does not split a class.
KC_SUBTYPES = {
    "KCg-m": "gamma", "KCg-d": "gamma", "KCg-s": "gamma", "KCg-t": "gamma", "KCg": "gamma",
    "KCa'b'-ap1": "a'b'", "KCa'b'-ap2": "a'b'", "KCa'b'-m": "a'b'", "KCa'b'": "a'b'",
    "KCab-c": "ab", "KCab-s": "ab", "KCab-m": "ab", "KCab-p": "ab", "KCab": "ab",
    "KC": "",
}
#: Lobe compartments innervated by the axons of each KC lobe class (Crittenden et al. 1998;
#: Aso et al. 2014a); every class also has dendrites in the calyx and axons in the peduncle.
LOBE_COMPARTMENTS = {
    "gamma": ("g1", "g2", "g3", "g4", "g5"),
    "a'b'": ("b'1", "b'2", "a'1", "a'2", "a'3"),
    "ab": ("a1", "a2", "a3", "b1", "b2"),
}
MB_TYPES_FILE = CONNECTOME_DIR / "mb_types.csv"

_PN_TYPE = re.compile(r"^(?P<glom>(?:D|V|Z|DA|DC|DL|DM|DP|VA|VC|VL|VM|VP)\d*[a-z]*"
                      r"(?:\+(?:(?:D|V|Z|DA|DC|DL|DM|DP|VA|VC|VL|VM|VP)\d*[a-z]*)?)*)"
                      r"[_ ][a-z0-9]*PN\d*$")
_SIDE = re.compile(r"_(L|R)(?:\(\d+\))?$")
_COMPARTMENT_TOKEN = re.compile(r"(?P<special>pedc?|calyx)|(?P<lobe>[yBa])(?P<prime>'?)(?P<digit>\d)"
                                r"|(?P<bare>\d)")
_LOBE_LETTERS = {"y": "g", "B": "b", "a": "a"}
_KC_ALIASES = (("apbp", "a'b'"), ("y", "g"), ("_", "-"))


def kc_subtype(name: str) -> str:
    """Canonical KC subtype of a data-set name ('KCapbp-ap2' -> "KCa'b'-ap2", 'KCg-s3' -> 'KCg-s').

    Returns "" when ``name`` is not a KC name; an unsplit class gives the coarse subtype.
    """
    text = re.sub(r"\(.*?\)|\?|_[LR]$| part$", "", name.strip())
    if not text.startswith("KC"):
        return ""
    for old, new in _KC_ALIASES:
        text = text.replace(old, new)
    text = re.sub(r"^(KCg-s)\d+$", r"\1", text)
    if text in KC_SUBTYPES:
        return text
    coarse = re.match(r"^(KCg|KCa'b'|KCab)(?:-|$)", text)
    return coarse.group(1) if coarse else "KC"


def kc_lobe_class(subtype: str) -> str:
    """The lobe class of a KC subtype: 'gamma', "a'b'" or 'ab' ("" for an untyped KC)."""
    try:
        return KC_SUBTYPES[subtype]
    except KeyError:
        raise ValueError(f"unknown KC subtype '{subtype}'; expected one of "
                         + ", ".join(KC_SUBTYPES)) from None


def lobe_compartments(lobe_class: str) -> tuple[str, ...]:
    """The lobe compartments the axons of a KC lobe class innervate, in canonical order."""
    try:
        return LOBE_COMPARTMENTS[lobe_class]
    except KeyError:
        raise ValueError(f"unknown KC lobe class '{lobe_class}'; expected one of "
                         + ", ".join(LOBE_COMPARTMENTS)) from None


def order_compartments(names) -> str:
    """Join compartment names in canonical order with ';' (calyx first, pedc after the lobes)."""
    order = {"calyx": -1, **{c: i for i, c in enumerate(COMPARTMENTS)}, "pedc": len(COMPARTMENTS)}
    return ";".join(sorted(set(names), key=order.__getitem__))


@lru_cache(maxsize=1)
def type_table() -> pd.DataFrame:
    """The MBON/DAN/APL/DPM type table (``connectome/mb_types.csv``), indexed by type."""
    table = pd.read_csv(MB_TYPES_FILE, dtype=str, keep_default_na=False)
    for value in table["compartments"]:
        unknown = set(value.split(";")) - set(COMPARTMENTS) - set(EXTRA_COMPARTMENTS)
        if value and (unknown or order_compartments(value.split(";")) != value):
            raise ValueError(f"{MB_TYPES_FILE}: compartments '{value}' are unknown or not in "
                             "canonical order")
    return table.set_index("type")


def table_type(name: str) -> str:
    """The :func:`type_table` row of a data-set type name ('PAM08_a' -> 'PAM08'), or ""."""
    table = type_table()
    if name in table.index:
        return name
    base = re.sub(r"_[a-z]$", "", name)
    return base if base in table.index else ""


def glomerulus_of(pn_type: str) -> str:
    """The glomerulus of a uniglomerular PN type ('DA1_lPN' or 'DA1 lPN' -> 'DA1'), else ""."""
    match = _PN_TYPE.match(pn_type.strip())
    return match.group("glom") if match else ""


def side_of(instance: str) -> str:
    """'R' or 'L' from a hemibrain instance suffix ('MBON01(y5B'2a)_L' -> 'L'), else ""."""
    match = _SIDE.search(instance.strip())
    return match.group(1) if match else ""


def compartments_from_instance(instance: str) -> str:
    """Compartments a hemibrain instance name encodes ("MBON01(y5B'2a)_R" -> "g5;b'2").

    Only the first parenthesised group counts, and in it only the part before '>' or '<'
    (dendrites of MBONs, axons of DANs); a bare digit repeats the previous lobe ('a2p3p' -> a2, a3).
    """
    group = re.search(r"\(([^()]*)\)", instance)
    if not group:
        return ""
    found, lobe = [], None
    for token in _COMPARTMENT_TOKEN.finditer(re.split(r"[<>]", group.group(1))[0]):
        if token.group("special"):
            found.append("pedc" if token.group("special").startswith("ped") else "calyx")
            continue
        if token.group("lobe"):
            lobe = _LOBE_LETTERS[token.group("lobe")] + token.group("prime")
        if lobe is not None:
            found.append(lobe + (token.group("digit") or token.group("bare")))
    return order_compartments(c for c in found if c in COMPARTMENTS or c in EXTRA_COMPARTMENTS)


def type_neuron(cell_type: str, instance: str = "", family_hint: str = "") -> dict[str, str]:
    """Fill the MB columns for one neuron from its data-set type name (and instance, if any).

    ``family_hint`` is a cell class a data set states itself ('PN' for FlyWire ALPNs, 'DAN',
    'MBON', 'KC'); names win over hints when both are known.
    """
    row = {"cell_class": "other", "subtype": "", "compartments": "", "glomerulus": "",
           "valence": "", "side": side_of(instance)}
    subtype = _best_kc_subtype(cell_type, instance)
    if subtype or family_hint == "KC":
        row.update(cell_class="KC", subtype=subtype or "KC")
        return row
    key = table_type(cell_type)
    if key:
        info = type_table().loc[key]
        row.update(cell_class=info["cell_class"], subtype=info["family"],
                   compartments=info["compartments"], valence=info["valence"])
        return row
    if cell_type.startswith(("MBON", "PAM", "PPL1")):
        row["compartments"] = compartments_from_instance(instance)
    glomerulus = glomerulus_of(cell_type)
    if glomerulus or family_hint == "PN":
        row.update(cell_class="PN", glomerulus=glomerulus)
        return row
    family = re.match(r"^(PAM|PPL1|PPL2)", cell_type)
    if family or family_hint == "DAN":
        row.update(cell_class="DAN", subtype=family.group(1) if family else "")
    elif cell_type.startswith("MBON") or family_hint == "MBON":
        row.update(cell_class="MBON")
    return row


def _best_kc_subtype(cell_type: str, instance: str) -> str:
    """The finest KC subtype that the type or the instance name gives."""
    candidates = [kc_subtype(cell_type), kc_subtype(instance)]
    fine = [c for c in candidates if c and "-" in c]
    return fine[0] if fine else next((c for c in candidates if c and c != "KC"),
                                     candidates[0] or candidates[1])


def type_table_frame(cell_types, instances=None, hints=None) -> pd.DataFrame:
    """:func:`type_neuron` over whole columns; returns one row per input with the MB columns."""
    n = len(cell_types)
    instances = [""] * n if instances is None else list(instances)
    hints = [""] * n if hints is None else list(hints)
    cache: dict[tuple[str, str, str], dict[str, str]] = {}
    rows = []
    for key in zip(cell_types, instances, hints):
        if key not in cache:
            cache[key] = type_neuron(*key)
        rows.append(cache[key])
    return pd.DataFrame(rows, columns=["cell_class", "subtype", "compartments", "side",
                                       "glomerulus", "valence"])
