"""Helpers for tests/coordinator (import as `from coordinatorsupport import …`)."""

from __future__ import annotations

import re


def field_error(html: str, name: str) -> str | None:
    """The error shown beside form field ``name`` (its element id is ``e-<name>``)."""
    match = re.search(rf'id="e-{re.escape(name)}"[^>]*>([^<]+)<', html)
    return match.group(1) if match else None
