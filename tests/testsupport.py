"""Helpers shared by the test modules (import as `from testsupport import …`)."""

from __future__ import annotations

import re

PASSWORD = "correct horse battery staple"

_CSRF_RE = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def csrf_token(html: str) -> str:
    match = _CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1) or match.group(2)
