"""Readiness tiers and personas of IT WORKS@島根 registrants.

A pure library: features in (arrays or DataFrames with feature names), tiers,
confidences, personas and explanations out. It imports only NumPy, pandas and
scikit-learn.

The names below are loaded on first use (PEP 562), so importing a light part
(``segmentation.features``, ``segmentation.version``) does not load
scikit-learn: a service process that never fits or predicts does not pay for it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .baseline import RuleBaseline, rule_tiers
    from .estimator import ReadinessSegmenter
    from .explain import Reason
    from .features import TIER_LABELS_JA, TIERS
    from .persistence import ModelFormatError
    from .personas import Persona, Trait
    from .validation import tier_indices
    from .version import FORMAT_VERSION, MODEL_VERSION

__version__ = "0.1.0"

# Each public name and the module that defines it.
_HOME = {
    "FORMAT_VERSION": "version",
    "MODEL_VERSION": "version",
    "ModelFormatError": "persistence",
    "Persona": "personas",
    "Reason": "explain",
    "ReadinessSegmenter": "estimator",
    "RuleBaseline": "baseline",
    "TIERS": "features",
    "TIER_LABELS_JA": "features",
    "Trait": "personas",
    "rule_tiers": "baseline",
    "tier_indices": "validation",
}

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


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_HOME[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})
