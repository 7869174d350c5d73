"""The codes of the domain, each with its label: say it once, import it everywhere.

A label is the Japanese msgid (marked with ``N_``); its English lives in the one
catalogue, itworks/translations, so there is one translation system. Show a label
with ``itworks.i18n.translate(label, lang)`` below the entry points, or let the
entry point translate it (web templates receive these dicts already translated).

``segmentation`` keeps its own copy of the tier codes because it is a pure library
that must not import itworks; tests/unit/test_vocabulary.py checks that the copies,
and the survey instrument's codes, agree.
"""

from __future__ import annotations

from .i18n import N_, Message

# ------------------------------------------------------------------ readiness tiers
TIERS = ("move_now", "few_years", "region_undecided", "one_option")
TIER_LABELS: dict[str, Message] = {
    "move_now": N_("直ぐに島根へUIターンしたい"),
    "few_years": N_("何年か先にUIターンを検討中"),
    "region_undecided": N_("Iターンしたいが地域は未確定"),
    "one_option": N_("UIターンも選択肢の一つ"),
}
NO_TIER = N_("未分類")

TIER_METHODS = ("model", "coordinator", "import")
TIER_METHOD_LABELS: dict[str, Message] = {
    "model": N_("モデルの提案"),
    "coordinator": N_("コーディネーターが確定"),
    "import": N_("取り込み（確定済み）"),
}

CONTACT_CHANNELS = ("email", "phone", "meeting", "online", "line", "other")
CONTACT_CHANNEL_LABELS: dict[str, Message] = {
    "email": N_("メール"),
    "phone": N_("電話"),
    "meeting": N_("対面の面談"),
    "online": N_("オンライン面談"),
    "line": N_("LINE"),
    "other": N_("その他"),
}

# Reason codes are data (seeded with their ja/en labels into reason_codes); the kinds are code.
REASON_KIND_TIER_OVERRIDE = "tier_override"
REASON_KIND_DROPOUT = "dropout"  # a registrant dropped out (離脱)
REASON_KIND_NURTURE = "back_to_nurture"  # returned to nurturing (育成に戻す)
REASON_KIND_MATCH_FAILED = "match_failed"  # an introduction declined (辞退・不成立)

# ------------------------------------------------------------------ registrants
ORIGINS = ("u_turn", "i_turn", "unknown")
ORIGIN_LABELS: dict[str, Message] = {
    "u_turn": N_("Uターン"),
    "i_turn": N_("Iターン"),
    "unknown": N_("不明"),
}

RESPONSE_CHANNELS = ("web", "interview", "import")
RESPONSE_CHANNEL_LABELS: dict[str, Message] = {
    "web": N_("Web（本人）"),
    "interview": N_("面談"),
    "import": N_("取り込み"),
}

# ------------------------------------------------------------------ KGI / KPI
MEASURES = ("hires", "new_registrants", "consultations", "fair_signups")
MEASURE_LABELS: dict[str, Message] = {
    "hires": N_("UIターンIT技術者の採用数"),
    "new_registrants": N_("新規登録者数"),
    "consultations": N_("キャリア相談者数"),
    "fair_signups": N_("転職フェア申込者数（3回計）"),
}

STATUSES = ("on_track", "at_risk", "behind")
STATUS_LABELS: dict[str, Message] = {
    "on_track": N_("順調"),
    "at_risk": N_("注意"),
    "behind": N_("遅れ"),
}

HALVES = ("first", "second")
HALF_LABELS: dict[str, Message] = {"first": N_("上期"), "second": N_("下期")}

# ------------------------------------------------------------------ funnel stages
FUNNEL_STAGES = (
    "registered",
    "surveyed",
    "consulted",
    "applied",
    "attended",
    "introduced",
    "hired",
)
STAGE_LABELS: dict[str, Message] = {
    "registered": N_("登録"),
    "surveyed": N_("アンケート回答"),
    "consulted": N_("キャリア相談"),
    "applied": N_("フェア申込"),
    "attended": N_("フェア参加"),
    "introduced": N_("企業紹介"),
    "hired": N_("採用"),
}

# ------------------------------------------------------------------ events and matching
# Migration 0009 folded the earlier ``seminar`` into ``study_session``.
EVENT_KINDS = ("fair", "study_session", "meetup", "company_exchange", "other")
EVENT_KIND_LABELS: dict[str, Message] = {
    "fair": N_("転職フェア"),
    "study_session": N_("勉強会"),
    "meetup": N_("交流会"),
    "company_exchange": N_("県内IT企業との交流会"),
    "other": N_("その他"),
}
# What an event keeps as its materials (成果物), attached to the implementation report.
MATERIAL_KINDS = ("slides", "flyer", "photo", "other")
MATERIAL_KIND_LABELS: dict[str, Message] = {
    "slides": N_("スライド"),
    "flyer": N_("チラシ"),
    "photo": N_("写真"),
    "other": N_("その他"),
}
# ``waitlisted``: applied when the event was full (キャンセル待ち); promoted to
# ``applied`` in order when a seat frees (services/engagement/signups.py). It is
# an application, so it counts among the fair applicants like ``applied``.
SIGNUP_STATUSES = ("applied", "waitlisted", "attended", "no_show", "cancelled")
SIGNUP_STATUS_LABELS: dict[str, Message] = {
    "applied": N_("申込"),
    "waitlisted": N_("キャンセル待ち"),
    "attended": N_("参加"),
    "no_show": N_("欠席"),
    "cancelled": N_("取消"),
}
# The specification's stages of an introduction to a company (紹介 → 面接 → 内定 → 入社,
# or 辞退・不成立 with a reason code).
INTRODUCTION_STATUSES = ("introduced", "interviewing", "offered", "hired", "declined")
INTRODUCTION_STATUS_LABELS: dict[str, Message] = {
    "introduced": N_("紹介"),
    "interviewing": N_("面接"),
    "offered": N_("内定"),
    "hired": N_("入社"),
    "declined": N_("辞退・不成立"),
}
INTRODUCTION_OPEN_STATUSES = ("introduced", "interviewing", "offered")
# A hire is a U-turn or an I-turn (ORIGINS without "unknown").
HIRE_TURNS = ("u_turn", "i_turn")
# What a third-party provision record may list as handed to a company.
PROVISION_ITEMS = ("name", "name_kana", "email", "phone", "employer", "career", "survey")
PROVISION_ITEM_LABELS: dict[str, Message] = {
    "name": N_("氏名"),
    "name_kana": N_("氏名（カナ）"),
    "email": N_("メールアドレス"),
    "phone": N_("電話番号"),
    "employer": N_("現在の勤務先"),
    "career": N_("職務経歴"),
    "survey": N_("アンケートの回答内容"),
}
# A hire's settling-in (定着) follow-ups at 3 and 12 months after the hire date.
SETTLING_MONTHS = (3, 12)
SETTLING_OUTCOMES = ("still_employed", "changed_employer_shimane", "left_shimane")
SETTLING_OUTCOME_LABELS: dict[str, Message] = {
    "still_employed": N_("在職中"),
    "changed_employer_shimane": N_("県内で転職"),
    "left_shimane": N_("県外へ転出"),
}
# The entries of a registrant's timeline (services/engagement/timeline.py), newest first.
TIMELINE_KINDS = (
    "registration",
    "utm_touch",
    "survey",
    "tier_proposal",
    "tier_confirmation",
    "consultation",
    "contact",
    "invitation",
    "invitation_reply",
    "signup",
    "attendance",
    "provision",
    "introduction_stage",
    "hire",
    "settling",
    "dropped_out",
    "nurturing",
)
TIMELINE_KIND_LABELS: dict[str, Message] = {
    "registration": N_("登録"),
    "utm_touch": N_("流入（UTM）"),
    "survey": N_("アンケート回答"),
    "tier_proposal": N_("ティアの提案"),
    "tier_confirmation": N_("ティアの確定"),
    "consultation": N_("キャリア相談"),
    "contact": N_("連絡"),
    "invitation": N_("イベントへの招待"),
    "invitation_reply": N_("招待への返事"),
    "signup": N_("イベント申込"),
    "attendance": N_("イベント参加"),
    "provision": N_("第三者提供の記録"),
    "introduction_stage": N_("企業紹介の段階"),
    "hire": N_("採用"),
    "settling": N_("定着確認"),
    "dropped_out": N_("離脱"),
    "nurturing": N_("育成に戻す"),
}
# Where a registrant stands, for the registrant list's filter: derived from their
# records (erased, use stopped, hired, latest drop-off or return to nurturing).
REGISTRANT_STATUSES = ("active", "nurturing", "dropped_out", "hired", "use_stopped", "erased")
REGISTRANT_STATUS_LABELS: dict[str, Message] = {
    "active": N_("対応中"),
    "nurturing": N_("育成中"),
    "dropped_out": N_("離脱"),
    "hired": N_("採用済み"),
    "use_stopped": N_("利用停止"),
    "erased": N_("削除済み"),
}

# The mail outbox: a message is queued, claimed (sending), then sent or failed.
OUTBOX_STATUSES = ("queued", "sending", "sent", "failed")

# What a JSON API token may do.
TOKEN_SCOPES = ("intake", "read")

# What a coordinator records about a registrant; only career_consultation counts toward
# the consultations KPI.
CONTACT_KINDS = ("career_consultation", "interview", "follow_up", "phone", "email")
CONTACT_KIND_LABELS: dict[str, Message] = {
    "career_consultation": N_("キャリア相談"),
    "interview": N_("面談"),
    "follow_up": N_("フォローアップ"),
    "phone": N_("電話"),
    "email": N_("メール"),
}

# ------------------------------------------------------------------ publicity
CAMPAIGN_CHANNELS = ("web_ad", "sns", "media", "event", "email", "other")
CAMPAIGN_CHANNEL_LABELS: dict[str, Message] = {
    "web_ad": N_("Web広告"),
    "sns": N_("SNS"),
    "media": N_("メディア・記事"),
    "event": N_("イベント"),
    "email": N_("メールマガジン"),
    "other": N_("その他"),
    "none": N_("キャンペーン外（自然流入など）"),
}

# ------------------------------------------------------------------ staff
ROLES = ("admin", "coordinator", "prefecture")
ROLE_LABELS: dict[str, Message] = {
    "admin": N_("管理者"),
    "coordinator": N_("コーディネーター"),
    "prefecture": N_("県職員"),
}

# ------------------------------------------------------------------ privacy requests
# A registrant's request about their own data (個人情報保護法: 開示・訂正・利用停止・削除).
PRIVACY_REQUEST_KINDS = ("disclosure", "correction", "stop_use", "erasure")
PRIVACY_REQUEST_KIND_LABELS: dict[str, Message] = {
    "disclosure": N_("開示"),
    "correction": N_("訂正"),
    "stop_use": N_("利用停止"),
    "erasure": N_("削除"),
}
# How the request was answered (the outcome), and how the answer reached the person.
PRIVACY_OUTCOMES = ("disclosed", "corrected", "stopped", "erased", "already_done")
PRIVACY_OUTCOME_LABELS: dict[str, Message] = {
    "disclosed": N_("開示した"),
    "corrected": N_("訂正した"),
    "stopped": N_("利用を停止した"),
    "erased": N_("削除した"),
    "already_done": N_("対応済みだった"),
}
PRIVACY_ANSWER_CHANNELS = ("email", "post", "in_person", "phone", "other")
PRIVACY_ANSWER_CHANNEL_LABELS: dict[str, Message] = {
    "email": N_("メール"),
    "post": N_("郵送"),
    "in_person": N_("対面"),
    "phone": N_("電話"),
    "other": N_("その他"),
}

# ------------------------------------------------------------------ audit trail
# The outcome of an audited action: done, failed (a wrong password), or refused
# (not authorised: a 403).
AUDIT_OUTCOMES = ("ok", "failed", "refused")
AUDIT_OUTCOME_LABELS: dict[str, Message] = {
    "ok": N_("成功"),
    "failed": N_("失敗"),
    "refused": N_("拒否"),
}

# ------------------------------------------------------------------ survey incentive arms
# A round's arms are codes typed when it is created; these are the usual ones. An arm
# without a label here is shown by its code.
INCENTIVE_ARMS = ("none", "giftcard_500", "giftcard_1000", "lottery")
INCENTIVE_ARM_LABELS: dict[str, Message] = {
    "none": N_("謝礼なし"),
    "giftcard_500": N_("ギフトカード500円"),
    "giftcard_1000": N_("ギフトカード1,000円"),
    "lottery": N_("抽選で謝礼"),
}

# ------------------------------------------------------------------ the registrant-handling flow
# 登録者対応フローチャート: every step a registrant can be at and how one leads to the
# next. /flow and the report draw it from these, so it shows what the service does:
# the funnel's stages in order, the introduction's stages between 紹介 and 採用, and
# from every step before a hire a drop-off (離脱) or a return to nurturing (育成).
_BEFORE_INTRODUCTION = FUNNEL_STAGES[: FUNNEL_STAGES.index("introduced")]
_INTRODUCTION_PATH = tuple(s for s in INTRODUCTION_OPEN_STATUSES if s != "introduced")
FLOW_STEPS = (
    *_BEFORE_INTRODUCTION[:2],
    "tiered",
    *_BEFORE_INTRODUCTION[2:3],
    "invited",
    *_BEFORE_INTRODUCTION[3:],
    "introduced",
    *_INTRODUCTION_PATH,
    "hired",
    "settling",
    "nurturing",
    "dropped_out",
)
FLOW_STEP_LABELS: dict[str, Message] = {
    **STAGE_LABELS,
    "tiered": N_("ティアの提案・確定"),
    "invited": N_("イベントの案内"),
    **{s: INTRODUCTION_STATUS_LABELS[s] for s in _INTRODUCTION_PATH},
    "settling": N_("定着の確認"),
    "nurturing": REGISTRANT_STATUS_LABELS["nurturing"],
    "dropped_out": REGISTRANT_STATUS_LABELS["dropped_out"],
}
_HOW: dict[tuple[str, str], Message] = {
    ("registered", "surveyed"): N_("個人リンクのアンケートに回答（面談で入力も）"),
    ("surveyed", "tiered"): N_("分類がティアを提案し、面談のあとコーディネーターが確定"),
    ("tiered", "consulted"): N_("ティアに合わせて連絡し、面談でキャリア相談"),
    ("consulted", "invited"): N_("ティア・ペルソナ別にイベントへ案内（送信キュー）"),
    ("invited", "applied"): N_("招待への返信、申込フォーム、またはコーディネーターが登録"),
    ("applied", "attended"): N_("開催後に出欠を記録（定員を超えればキャンセル待ち）"),
    ("attended", "introduced"): N_("本人の同意と第三者提供の記録のうえで企業へ紹介"),
    ("consulted", "introduced"): N_("フェアを経ない個別マッチング"),
    ("hired", "settling"): N_("採用の3か月後と12か月後に確認"),
    ("nurturing", "consulted"): N_("次回連絡日に再連絡"),
}
FLOW_TRANSITIONS: tuple[tuple[str, str, Message | None], ...] = (
    *(
        (a, b, _HOW.get((a, b)))
        for a, b in zip(FLOW_STEPS, FLOW_STEPS[1:], strict=False)
        if b not in ("nurturing", "dropped_out") and a not in ("settling", "nurturing")
    ),
    ("consulted", "introduced", _HOW[("consulted", "introduced")]),
    *((s, "nurturing", N_("育成に戻す（理由コードと次回連絡日）")) for s in FLOW_STEPS[:-4]),
    *((s, "dropped_out", N_("離脱（理由コード）")) for s in FLOW_STEPS[:-4]),
    ("nurturing", "consulted", _HOW[("nurturing", "consulted")]),
)

# Every code list with its labels, for the tests that check nothing is left unlabelled.
LABELLED = {
    "tier": (TIERS, TIER_LABELS),
    "tier_method": (TIER_METHODS, TIER_METHOD_LABELS),
    "contact_channel": (CONTACT_CHANNELS, CONTACT_CHANNEL_LABELS),
    "origin": (ORIGINS, ORIGIN_LABELS),
    "response_channel": (RESPONSE_CHANNELS, RESPONSE_CHANNEL_LABELS),
    "measure": (MEASURES, MEASURE_LABELS),
    "status": (STATUSES, STATUS_LABELS),
    "half": (HALVES, HALF_LABELS),
    "stage": (FUNNEL_STAGES, STAGE_LABELS),
    "event_kind": (EVENT_KINDS, EVENT_KIND_LABELS),
    "signup_status": (SIGNUP_STATUSES, SIGNUP_STATUS_LABELS),
    "material_kind": (MATERIAL_KINDS, MATERIAL_KIND_LABELS),
    "introduction_status": (INTRODUCTION_STATUSES, INTRODUCTION_STATUS_LABELS),
    "contact_kind": (CONTACT_KINDS, CONTACT_KIND_LABELS),
    "provision_item": (PROVISION_ITEMS, PROVISION_ITEM_LABELS),
    "settling_outcome": (SETTLING_OUTCOMES, SETTLING_OUTCOME_LABELS),
    "registrant_status": (REGISTRANT_STATUSES, REGISTRANT_STATUS_LABELS),
    "timeline_kind": (TIMELINE_KINDS, TIMELINE_KIND_LABELS),
    "campaign_channel": (CAMPAIGN_CHANNELS, CAMPAIGN_CHANNEL_LABELS),
    "role": (ROLES, ROLE_LABELS),
    "incentive_arm": (INCENTIVE_ARMS, INCENTIVE_ARM_LABELS),
    "audit_outcome": (AUDIT_OUTCOMES, AUDIT_OUTCOME_LABELS),
    "privacy_request_kind": (PRIVACY_REQUEST_KINDS, PRIVACY_REQUEST_KIND_LABELS),
    "privacy_outcome": (PRIVACY_OUTCOMES, PRIVACY_OUTCOME_LABELS),
    "privacy_answer_channel": (PRIVACY_ANSWER_CHANNELS, PRIVACY_ANSWER_CHANNEL_LABELS),
    "flow_step": (FLOW_STEPS, FLOW_STEP_LABELS),
}
