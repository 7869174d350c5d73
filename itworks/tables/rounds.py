"""Survey invitation rounds as published tables: each round's response rate, and per
round each incentive arm's rate with its interval and its difference from the control.

The rates and intervals are the round report's (services.surveys.links); these tables
only lay them out, with the arms under their labels.
"""

from __future__ import annotations

from collections.abc import Sequence

from itworks import i18n, vocabulary
from itworks.services.surveys.links import RoundReport
from itworks.tables.audience import Audience
from itworks.tables.table import Column, Table, frame


def arm_label(code: str, lang: str = "ja") -> str:
    """An arm's label in ``lang`` (the code itself for an arm without one)."""
    return i18n.label(vocabulary.INCENTIVE_ARM_LABELS, code, lang)


def rounds(reports: Sequence[RoundReport], *, lang: str = "ja") -> Table:
    """One row per round: when, which arms, invited, responded and the response rate."""
    columns = [
        Column("name", "ラウンド", "text"),
        Column("created_at", "作成日時", "text"),
        Column("arms", "アーム", "text"),
        Column("invited", "配信数"),
        Column("responded", "回答数"),
        Column("rate", "回答率", "rate"),
    ]
    rows = [
        {
            "name": r.round.name,
            "public_id": r.round.public_id,
            "created_at": r.round.created_at,
            "arms": "、".join(arm_label(a, lang) for a in r.round.arms)
            if lang == "ja"
            else ", ".join(arm_label(a, lang) for a in r.round.arms),
            "invited": r.invited,
            "responded": r.responded,
            "rate": r.responded / r.invited if r.invited else None,
        }
        for r in reports
    ]
    return Table(
        "rounds",
        "アンケート配信ラウンド",
        columns,
        frame(rows, [r.round.public_id for r in reports], [c.key for c in columns]),
        Audience.coordinator(),
    )


def arms(report: RoundReport, *, lang: str = "ja") -> Table:
    """One row per arm: invited, responded, response rate and its 95% Wilson interval."""
    columns = [
        Column("arm", "アーム", "text"),
        Column("invited", "配信数"),
        Column("responded", "回答数"),
        Column("rate", "回答率", "rate"),
        Column("low", "95%信頼区間（下限）", "rate"),
        Column("high", "95%信頼区間（上限）", "rate"),
    ]
    rows = [
        {
            "arm": arm_label(a.arm, lang),
            "code": a.arm,
            "invited": a.invited,
            "responded": a.responded,
            "rate": a.rate,
            "low": a.low,
            "high": a.high,
        }
        for a in report.arms
    ]
    return Table(
        "arms",
        "アーム別の回答率",
        columns,
        frame(rows, [a.arm for a in report.arms], [c.key for c in columns]),
        Audience.coordinator(),
    )


def differences(report: RoundReport, *, lang: str = "ja") -> Table:
    """Each arm against the control: the difference in response rate, its 95% Newcombe
    interval, and what that says (raised, lowered, no difference shown)."""
    columns = [
        Column("arm", "アーム", "text"),
        Column("baseline", "対照群", "text"),
        Column("difference", "回答率の差", "number"),
        Column("low", "95%信頼区間（下限）", "number"),
        Column("high", "95%信頼区間（上限）", "number"),
        Column("verdict", "判定", "text"),
    ]
    rows = []
    for d in report.differences:
        if d.low is None or d.high is None:
            verdict = None
        elif d.low > 0:
            verdict = "raised"
        elif d.high < 0:
            verdict = "lowered"
        else:
            verdict = "unclear"
        rows.append(
            {
                "arm": arm_label(d.arm, lang),
                "baseline": arm_label(d.baseline, lang),
                "difference": d.difference,
                "low": d.low,
                "high": d.high,
                "verdict": verdict,
            }
        )
    return Table(
        "arm_differences",
        "対照群との差",
        columns,
        frame(rows, [d.arm for d in report.differences], [c.key for c in columns]),
        Audience.coordinator(),
    )
