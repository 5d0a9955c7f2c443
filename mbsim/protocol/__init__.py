"""Conditioning protocols: the YAML schema, loading with precise errors, and absolute-time schedules.

>>> protocol = load_protocol("aversive_spaced_10x")      # a shipped protocol, or a path
>>> schedule = protocol.schedule()                        # seconds, t = 0 at the start of training
"""

from .loader import load_protocol, parse_protocol_text, shipped_protocols
from .model import SCHEMA_VERSION, Protocol
from .schedule import Intervention, OdorSpec, Schedule, Survival
from .trials import Trial

__all__ = ["SCHEMA_VERSION", "Intervention", "OdorSpec", "Protocol", "Schedule", "Survival", "Trial",
           "load_protocol", "parse_protocol_text", "shipped_protocols"]
