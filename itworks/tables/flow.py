"""The registrant-handling flowchart (登録者対応フローチャート) as a published table:
one row per transition between the steps of vocabulary.FLOW_STEPS, in the order the
vocabulary gives, so the page and the report show what the service does."""

from __future__ import annotations

from itworks import i18n, vocabulary
from itworks.i18n import N_
from itworks.tables.audience import Audience
from itworks.tables.table import Column, Table, frame


def _t(label: object, lang: str) -> str:
    return i18n.translate(label, "ja" if lang.startswith("ja") else "en")


EXITS = ("nurturing", "dropped_out")  # reachable from every step before a hire


def steps(lang: str = "ja") -> list[tuple[str, str, list[tuple[str, str]], str]]:
    """Each step: (code, label, [(next step's label, how)], how it is reached when from
    anywhere), in the flow's order. The ways out to nurturing and drop-off, open from
    every step before a hire, are shown once, on those two steps."""
    label = {code: _t(vocabulary.FLOW_STEP_LABELS[code], lang) for code in vocabulary.FLOW_STEPS}
    out = []
    for code in vocabulary.FLOW_STEPS:
        nexts = [
            (label[b], _t(how, lang) if how else "")
            for a, b, how in vocabulary.FLOW_TRANSITIONS
            if a == code and b not in EXITS
        ]
        into = [(a, how) for a, b, how in vocabulary.FLOW_TRANSITIONS if b == code]
        anywhere = ""
        if code in EXITS and into:
            first, last = label[into[0][0]], label[into[-1][0]]
            anywhere = _t(
                N_("%(first)s〜%(last)sのどの段階からも — %(how)s", first=first, last=last,
                   how=_t(into[0][1], lang)),
                lang,
            )  # fmt: skip
        out.append((code, label[code], nexts, anywhere))
    return out


def flowchart(audience: Audience, *, lang: str = "ja") -> Table:
    """Every transition: from which step, to which, and how it happens."""
    label = {code: _t(vocabulary.FLOW_STEP_LABELS[code], lang) for code in vocabulary.FLOW_STEPS}
    rows = [
        {
            "step": label[a],
            "next": label[b],
            "how": _t(how, lang) if how else "",
            "from_code": a,
            "to_code": b,
        }
        for a, b, how in vocabulary.FLOW_TRANSITIONS
    ]
    columns = [
        Column("step", _t(N_("段階"), lang), "text"),
        Column("next", _t(N_("次の段階"), lang), "text"),
        Column("how", _t(N_("どのように"), lang), "text"),
    ]
    return Table(
        "flow",
        N_("登録者対応フローチャート"),
        columns,
        frame(rows, range(len(rows)), [c.key for c in columns] + ["from_code", "to_code"]),
        audience,
        note=N_("サービスの段階と遷移の定義から描いています（手で描いた図ではありません）。"),
    )
