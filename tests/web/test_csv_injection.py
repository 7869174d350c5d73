"""A registrant's fields posted by anyone come out of the export as text, never formulas."""

from __future__ import annotations

import csv
import io

from itworks import csvio


def test_export_neutralises_formula_like_fields(app, make_registrant) -> None:
    from itworks.db import db
    from itworks.extensions import vault
    from itworks.services.intake import exports

    make_registrant(name='=HYPERLINK("http://x","y")', employer='@SUM(1+1)*cmd|" /C calc"!A0')
    buffer = io.StringIO()
    with app.app_context():
        exports.export_registrants(db.session, vault(), buffer, actor_label="test")
    rows = list(csv.reader(io.StringIO(buffer.getvalue()[len(csvio.BOM) :], newline="")))
    cells = [cell for row in rows[1:] for cell in row]
    assert '\'=HYPERLINK("http://x","y")' in cells
    assert '\'@SUM(1+1)*cmd|" /C calc"!A0' in cells
    # Every cell written is already safe: neutralising it again changes nothing.
    assert all(csvio.neutralize(cell) == cell for cell in cells)
