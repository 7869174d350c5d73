"""Readiness tiers and personas of IT WORKS@島根 registrants.

A pure library: features in (arrays or DataFrames with feature names), tiers,
confidences, personas and explanations out. It imports only NumPy, pandas and
scikit-learn.
"""

from __future__ import annotations

from .baseline import RuleBaseline, rule_tiers
from .estimator import ReadinessSegmenter
from .explain import Reason
from .features import TIER_LABELS_JA, TIERS
from .persistence import FORMAT_VERSION, MODEL_VERSION, ModelFormatError
from .personas import Persona, Trait
from .validation import tier_indices

__version__ = "0.1.0"

__all__ = [
    "FORMAT_VERSION",
    "MODEL_VERSION",
    "ModelFormatError",
    "Persona",
    "Reason",
    "ReadinessSegmenter",
    "RuleBaseline",
    "TIERS",
    "TIER_LABELS_JA",
    "Trait",
    "rule_tiers",
    "tier_indices",
]
