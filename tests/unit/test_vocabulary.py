"""One vocabulary: itworks.vocabulary holds every code with its label; the copies
that must stay apart (segmentation, a pure library, and the survey instrument, data)
agree with it, so renaming a code in one place cannot silently break another."""

from __future__ import annotations

import pytest

import segmentation
import surveys
from itworks import vocabulary
from itworks.i18n import Message, translate
from segmentation import features

READINESS = ("readiness", 1)


def _instrument() -> surveys.Instrument:
    return surveys.load_instrument(*READINESS)


def test_tiers_agree_with_segmentation() -> None:
    assert vocabulary.TIERS == segmentation.TIERS
    assert set(features.PROTOTYPE_SHARES) == set(vocabulary.TIERS)
    assert set(features.PROTOTYPE_SHIFTS) == set(vocabulary.TIERS)
    assert {code: str(label) for code, label in vocabulary.TIER_LABELS.items()} == (
        segmentation.TIER_LABELS_JA
    )


def test_segmentation_reads_only_codes_the_instrument_has() -> None:
    """The prototypes, ordinal scales and rule baseline name survey codes: each exists."""
    instrument = _instrument()
    questions = {q.id: q for q in instrument.questions}
    named: set[tuple[str, str]] = set()
    for shares in features.PROTOTYPE_SHARES.values():
        named.update((qid, code) for qid, codes in shares.items() for code in codes)
    for qid, codes in features.ORDINAL_SCALES.items():
        named.update((qid, code) for code in codes)
    # The rule baseline (segmentation.baseline) decides from these answers.
    named.update(
        ("move_timing", code) for code in ("asap", "within_1y", "1_3y", "3y_plus", "undecided")
    )
    named.update(
        ("destination", code)
        for code in ("region_undecided", "shimane", "shimane_or_nearby", "not_sure")
    )
    # origin is the registrant's (itworks adds it beside the answers), not a question.
    origins = {code for qid, code in named if qid == "origin"}
    assert origins <= set(vocabulary.ORIGINS)
    missing = sorted(
        (qid, code)
        for qid, code in named
        if qid != "origin" and (qid not in questions or code not in questions[qid].codes)
    )
    assert missing == []


@pytest.mark.parametrize("name", sorted(vocabulary.LABELLED))
def test_every_code_has_a_label_in_both_languages(name: str) -> None:
    codes, labels = vocabulary.LABELLED[name]
    assert set(codes) <= set(labels)
    for code in codes:
        label = labels[code]
        assert isinstance(label, Message)
        english = translate(label, "en")
        assert english, f"{name}.{code} has no English"
        if not str(label).isascii():  # LINE and SNS are the same in both
            assert english != str(label), f"{name}.{code} has no English"


def test_models_and_services_use_the_vocabulary() -> None:
    from itworks import models
    from itworks.services.kpi import notes, progress
    from itworks.services.publicity import campaigns
    from itworks.services.tiers import recontact

    assert models.TIERS is vocabulary.TIERS
    assert models.MEASURES is vocabulary.MEASURES
    assert models.ROLES is vocabulary.ROLES
    assert models.FUNNEL_STAGES is vocabulary.FUNNEL_STAGES
    assert models.EVENT_KINDS is vocabulary.EVENT_KINDS
    assert progress.STATUSES == vocabulary.STATUSES
    assert notes.HALVES is vocabulary.HALVES
    assert campaigns.CHANNELS is vocabulary.CAMPAIGN_CHANNELS
    assert recontact.CHANNELS is vocabulary.CONTACT_CHANNELS
