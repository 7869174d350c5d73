"""The versions a saved model records (no dependencies: cheap to import)."""

from __future__ import annotations

FORMAT_VERSION = 3
"""Bump when the document's layout changes; older readers then refuse it.

3 added the ``learner`` parameter; documents of versions 1 and 2 still load
(their correction, if any, is stored whole, so they predict as before)."""

MODEL_VERSION = "1.2"
"""Version of the modelling method (prototypes, weights, scaling, label correction)."""
