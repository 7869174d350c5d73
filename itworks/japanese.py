"""Normalisation and validation of Japanese-language input.

Pure helpers (standard library only) for the forms registrants fill in:
e-mail addresses, phone numbers, katakana readings and prefectures.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

import phonenumbers

from itworks.i18n import N_

__all__ = [
    "CONTROL_CHARACTERS_MESSAGE",
    "has_control_characters",
    "PREFECTURES",
    "prefecture_label",
    "Prefecture",
    "is_kana_reading",
    "is_valid_email",
    "nfkc",
    "normalize_email",
    "normalize_phone",
    "display_phone",
    "parse_prefecture",
    "prefecture_code",
    "to_katakana",
]


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_CHARACTERS_MESSAGE = N_("使用できない制御文字が含まれています")


def has_control_characters(s: str) -> bool:
    """Control characters other than tab and line breaks (they break Excel and PostgreSQL)."""
    return bool(_CONTROL.search(s))


def nfkc(s: str) -> str:
    """Return ``s`` NFKC-normalised and stripped of surrounding whitespace."""
    return unicodedata.normalize("NFKC", s).strip()


# --------------------------------------------------------------------------- e-mail

EMAIL_MAX_LENGTH = 254  # RFC 5321 path limit minus the angle brackets


def normalize_email(s: str) -> str:
    """Return the address NFKC-normalised, stripped and lower-cased.

    Lower-casing the local part is technically lossy, but no mainstream
    provider treats it as case-sensitive and it stops duplicate registrations.
    """
    return nfkc(s).lower()


def is_valid_email(s: str) -> bool:
    """Pragmatic check of an address after :func:`normalize_email`.

    Exactly one ``@``, a non-empty local part, a dotted domain without empty
    labels, no whitespace, at most 254 characters. Deliverability is the
    confirmation mail's job, not this function's.
    """
    if not isinstance(s, str):
        return False
    email = normalize_email(s)
    if not email or len(email) > EMAIL_MAX_LENGTH:
        return False
    if any(ch.isspace() for ch in email) or email.count("@") != 1:
        return False
    local, domain = email.split("@")
    if not local or "." not in domain:
        return False
    return all(domain.split("."))


# --------------------------------------------------------------------------- phone

PHONE_ERROR = N_("電話番号の形式が正しくありません")

# Characters people type between digit groups. NFKC has already folded the
# full-width forms (－ → -, （ → (, ｰ → ー, ＋ → +); the dashes below survive NFKC.
_PHONE_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\u30fc\uff70().]")


# A number phonenumbers does not (yet) know as allocated passes when it has the length
# of a fixed-line, mobile or IP-phone number of its country: the library's range tables
# lag behind new allocations, and refusing a person's real number is worse.
_DIALLABLE = (phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE, phonenumbers.PhoneNumberType.VOIP)


def _acceptable(number: phonenumbers.PhoneNumber) -> bool:
    return phonenumbers.is_valid_number(number) or any(
        phonenumbers.is_possible_number_for_type(number, kind) for kind in _DIALLABLE
    )


_NUMBER = re.compile(r"\+?[0-9]+")  # ASCII only: isdigit() would let e.g. Arabic-Indic through


def normalize_phone(s: str) -> str:
    """Return a phone number in E.164 form, e.g. ``"+819012345678"``.

    The phonenumbers library decides (region JP for numbers without ``+``): the
    number must be a valid one for its country, or have the length of one of its
    fixed-line, mobile or IP-phone numbers, so ``090-1234-5678``,
    ``+81 (0)90 1234 5678`` and ``0852-22-5111`` pass and ``0901234`` does not; a
    number written without ``+`` must start with its trunk 0 (``9012345678`` fails).
    The separators people type (hyphens, long dashes, ー, spaces, brackets, dots) are
    dropped first. Raises :class:`ValueError`
    otherwise; the message never echoes the input because a phone number is
    personal data that would end up in logs.
    """
    if not isinstance(s, str):
        raise ValueError(PHONE_ERROR)
    compact = _PHONE_SEPARATORS.sub("", nfkc(s))
    if not _NUMBER.fullmatch(compact):
        raise ValueError(PHONE_ERROR)
    if not compact.startswith("+") and (compact[:1] != "0" or compact[:2] == "00"):
        # Written at home, a number starts with the trunk 0 (00 is the international
        # call prefix): "9012345678" has lost its 0, and phonenumbers would take it.
        raise ValueError(PHONE_ERROR)
    if compact.startswith("+810"):
        # "+81 (0)90 …" and the common mistake "+81 090 …" both carry the trunk 0.
        compact = "+81" + compact[4:]
    try:
        number = phonenumbers.parse(compact, "JP")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not _acceptable(number):
        raise ValueError(PHONE_ERROR) from None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """A stored number as staff read it: ``090-1234-5678`` at home, ``+44 20 7946 0958`` abroad.

    Formatting is the phonenumbers library's (national format for Japan); a value it
    cannot parse is shown as stored.
    """
    try:
        number = phonenumbers.parse(e164, "JP")
    except phonenumbers.NumberParseException:
        return e164
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 81
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


# --------------------------------------------------------------------------- kana

_HIRAGANA_TO_KATAKANA = {cp: cp + 0x60 for cp in range(0x3041, 0x3097)}
# The iteration marks ゝゞ sit outside the contiguous syllable block.
_HIRAGANA_TO_KATAKANA.update({0x309D: 0x30FD, 0x309E: 0x30FE})

_KATAKANA_LETTER = re.compile(r"[\u30a1-\u30fa\u30fd\u30fe]")
_KANA_READING = re.compile(r"[\u30a1-\u30fa\u30fb\u30fc\u30fd\u30fe ]+")


def to_katakana(s: str) -> str:
    """Fold a reading to full-width katakana.

    NFKC turns half-width kana (ｶﾞ → ガ) into full-width; hiragana is shifted to
    katakana; ー and ・ are kept; any run of whitespace, including the
    full-width space, becomes one ASCII space.
    """
    folded = nfkc(s).translate(_HIRAGANA_TO_KATAKANA)
    return " ".join(folded.split())


def is_kana_reading(s: str) -> bool:
    """True if ``s`` folds to katakana, ー, ・ and spaces with at least one kana."""
    if not isinstance(s, str):
        return False
    folded = to_katakana(s)
    return bool(_KANA_READING.fullmatch(folded)) and bool(_KATAKANA_LETTER.search(folded))


# --------------------------------------------------------------------------- prefectures


class Prefecture(NamedTuple):
    """One prefecture: JIS X 0401 code, Japanese and English names."""

    code: str
    name: str
    name_en: str

    @property
    def short_name(self) -> str:
        """Name without 都/府/県; 北海道 keeps its 道 since 北海 is not used."""
        if self.name == "北海道":
            return self.name
        return self.name[:-1]


PREFECTURES: tuple[Prefecture, ...] = tuple(
    Prefecture(f"{i:02d}", name, name_en)
    for i, (name, name_en) in enumerate(
        [
            ("北海道", "Hokkaido"),
            ("青森県", "Aomori"),
            ("岩手県", "Iwate"),
            ("宮城県", "Miyagi"),
            ("秋田県", "Akita"),
            ("山形県", "Yamagata"),
            ("福島県", "Fukushima"),
            ("茨城県", "Ibaraki"),
            ("栃木県", "Tochigi"),
            ("群馬県", "Gunma"),
            ("埼玉県", "Saitama"),
            ("千葉県", "Chiba"),
            ("東京都", "Tokyo"),
            ("神奈川県", "Kanagawa"),
            ("新潟県", "Niigata"),
            ("富山県", "Toyama"),
            ("石川県", "Ishikawa"),
            ("福井県", "Fukui"),
            ("山梨県", "Yamanashi"),
            ("長野県", "Nagano"),
            ("岐阜県", "Gifu"),
            ("静岡県", "Shizuoka"),
            ("愛知県", "Aichi"),
            ("三重県", "Mie"),
            ("滋賀県", "Shiga"),
            ("京都府", "Kyoto"),
            ("大阪府", "Osaka"),
            ("兵庫県", "Hyogo"),
            ("奈良県", "Nara"),
            ("和歌山県", "Wakayama"),
            ("鳥取県", "Tottori"),
            ("島根県", "Shimane"),
            ("岡山県", "Okayama"),
            ("広島県", "Hiroshima"),
            ("山口県", "Yamaguchi"),
            ("徳島県", "Tokushima"),
            ("香川県", "Kagawa"),
            ("愛媛県", "Ehime"),
            ("高知県", "Kochi"),
            ("福岡県", "Fukuoka"),
            ("佐賀県", "Saga"),
            ("長崎県", "Nagasaki"),
            ("熊本県", "Kumamoto"),
            ("大分県", "Oita"),
            ("宮崎県", "Miyazaki"),
            ("鹿児島県", "Kagoshima"),
            ("沖縄県", "Okinawa"),
        ],
        start=1,
    )
)

PREFECTURE_ERROR = N_("都道府県名またはJISコード(01〜47)を指定してください")


def _fold_latin(s: str) -> str:
    # Drop macrons so that "Kōchi" and "Ōita" match the plain spellings.
    decomposed = unicodedata.normalize("NFKD", s)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


_BY_KEY: dict[str, Prefecture] = {}
for _p in PREFECTURES:
    _BY_KEY[_p.name] = _p
    _BY_KEY[_p.short_name] = _p
    _BY_KEY[_fold_latin(_p.name_en)] = _p
del _p

_CODE = re.compile(r"[0-9]{1,2}")


def prefecture_spellings() -> list[str]:
    """The canonical spellings :func:`parse_prefecture` accepts, sorted: each
    prefecture's full and suffix-less Japanese name, its English name, and its
    JIS code as one or two digits. (It also accepts case and width variants.)"""
    spellings = {p.name for p in PREFECTURES} | {p.short_name for p in PREFECTURES}
    spellings |= {p.name_en for p in PREFECTURES}
    spellings |= {f"{n:02d}" for n in range(1, len(PREFECTURES) + 1)}
    spellings |= {str(n) for n in range(1, 10)}
    return sorted(spellings)


def _lookup(value: str | int | float) -> Prefecture:
    # JSON numbers: 32.0 is the integer 32 (as JSON Schema counts it).
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    # bool is an int subclass; True must not mean 北海道.
    if isinstance(value, int) and not isinstance(value, bool):
        if 1 <= value <= len(PREFECTURES):
            return PREFECTURES[value - 1]
        raise ValueError(PREFECTURE_ERROR)
    if not isinstance(value, str):
        raise ValueError(PREFECTURE_ERROR)
    key = nfkc(value)
    if _CODE.fullmatch(key):
        number = int(key)
        if 1 <= number <= len(PREFECTURES):
            return PREFECTURES[number - 1]
        raise ValueError(PREFECTURE_ERROR)
    found = _BY_KEY.get(key) or _BY_KEY.get(_fold_latin(key))
    if found is None:
        raise ValueError(PREFECTURE_ERROR)
    return found


def parse_prefecture(value: str | int) -> str:
    """Return the canonical Japanese name (e.g. ``"島根県"``) for ``value``.

    Accepts the full or suffix-less name (島根県, 島根), the JIS code as int or
    as a 1–2 digit string (32, "32", "０１", "1"), or the English name
    (case-insensitive). Raises :class:`ValueError` otherwise.
    """
    return _lookup(value).name


def prefecture_label(value: str | None, lang: str) -> str | None:
    """A prefecture in a page's language: 島根県 on a Japanese page, "Shimane" on any
    other. A value that names no prefecture is returned as it is (``None`` too)."""
    if value is None:
        return None
    try:
        prefecture = _lookup(value)
    except (ValueError, TypeError):
        return value
    return prefecture.name if lang.startswith("ja") else prefecture.name_en


def prefecture_code(name: str | int) -> str:
    """Return the two-digit JIS code (``"32"``) for anything :func:`parse_prefecture` accepts."""
    return _lookup(name).code
