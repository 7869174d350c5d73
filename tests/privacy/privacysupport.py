"""Constants shared by the privacy tests (import as `from privacysupport import …`)."""

from __future__ import annotations

from datetime import UTC, datetime

NOW = datetime(2022, 11, 20, 3, tzinfo=UTC)
