"""Type aliases shared by the segmentation modules (typing only, no behaviour)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

FloatArray: TypeAlias = NDArray[np.float64]
"""A float array: features, scaled rows, distances, probabilities."""

IntArray: TypeAlias = NDArray[np.intp]
"""Positions: tier positions (-1 for unknown), column indices."""

BoolArray: TypeAlias = NDArray[np.bool_]
"""Masks: observed entries, selected rows."""

ObjectArray: TypeAlias = NDArray[np.object_]
"""Tier codes, feature names and persona ids (Python objects)."""

Features: TypeAlias = ArrayLike | pd.DataFrame
"""Encoded features, ``(n_samples, n_features)``: a DataFrame names its columns."""

TiersLike: TypeAlias = ArrayLike | pd.Series | Sequence[object] | None
"""Partial tiers: codes, positions, or blanks (see :func:`segmentation.tier_indices`)."""
