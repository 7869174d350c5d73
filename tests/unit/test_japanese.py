"""Tests for itworks.japanese: e-mail, phone, kana and prefecture handling."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from itworks.i18n import translate
from itworks.japanese import (
    PREFECTURES,
    is_kana_reading,
    is_valid_email,
    nfkc,
    normalize_email,
    normalize_phone,
    parse_prefecture,
    prefecture_code,
    to_katakana,
)

PHONE_ERROR = "電話番号の形式が正しくありません"  # en: "Invalid phone number"


def full_width(s: str) -> str:
    """Turn printable ASCII into its full-width form, as a Japanese IME would."""
    return "".join(
        "\u3000" if ch == " " else chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in s
    )


# --------------------------------------------------------------------------- nfkc / e-mail


def test_nfkc_folds_width_and_strips() -> None:
    assert nfkc("\u3000ＡＢＣ１２３ ") == "ABC123"
    assert nfkc("ｼﾏﾈ") == "シマネ"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Taro.Yamada@Example.JP", "taro.yamada@example.jp"),
        ("  taro@example.jp\n", "taro@example.jp"),
        ("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", "taro@example.jp"),
    ],
)
def test_normalize_email(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    "email",
    [
        "taro@example.jp",
        "Taro.Yamada+itworks@mail.pref.shimane.lg.jp",
        " ＴＡＲＯ＠ＥＸＡＭＰＬＥ．ＪＰ ",
        "a@b.co",
    ],
)
def test_valid_emails(email: str) -> None:
    assert is_valid_email(email)


@pytest.mark.parametrize(
    "email",
    [
        "",
        "   ",
        "taro",
        "taro@",
        "@example.jp",
        "taro@localhost",
        "taro@@example.jp",
        "ta@ro@example.jp",
        "taro yamada@example.jp",
        "taro@exa mple.jp",
        "taro@example..jp",
        "taro@.example.jp",
        "taro@example.jp.",
        "a" * 250 + "@x.jp",
        None,
        42,
    ],
)
def test_invalid_emails(email: object) -> None:
    assert not is_valid_email(email)  # type: ignore[arg-type]


def test_email_length_limit_is_inclusive() -> None:
    local = "a" * (254 - len("@x.jp"))
    assert is_valid_email(f"{local}@x.jp")
    assert not is_valid_email(f"a{local}@x.jp")


# --------------------------------------------------------------------------- phone

SAME_MOBILE = [
    "090-1234-5678",
    "０９０１２３４５６７８",
    "０９０－１２３４－５６７８",
    "090 1234 5678",
    "090　1234　5678",
    "(090)1234-5678",
    "（０９０）１２３４－５６７８",
    "090.1234.5678",
    "09012345678",
    "090ー1234ー5678",
    "090−1234−5678",
    "090–1234–5678",
    "090—1234—5678",
    "090‐1234‐5678",
    "090ｰ1234ｰ5678",
    "+81 90 1234 5678",
    "+81-90-1234-5678",
    "+81 (0)90 1234 5678",
    "+819012345678",
    "＋８１ ９０ １２３４ ５６７８",
    "  090-1234-5678  ",
]


@pytest.mark.parametrize("raw", SAME_MOBILE)
def test_phone_variants_fold_to_e164(raw: str) -> None:
    assert normalize_phone(raw) == "+819012345678"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0852-22-5111", "+81852225111"),  # Shimane prefectural office, 10 digits
        ("03-1234-5678", "+81312345678"),
        ("0120-123-456", "+81120123456"),
        ("0800-123-4567", "+818001234567"),
        ("050-1234-5678", "+815012345678"),
        ("+81 852 22 5111", "+81852225111"),
        ("+1 (415) 555-0100", "+14155550100"),
        ("+44 20 7946 0958", "+442079460958"),
        ("＋８２ １０ １２３４ ５６７８", "+821012345678"),
    ],
)
def test_phone_other_forms(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "abc",
        "090-1234-567a",
        "TEL 090-1234-5678",
        "090-1234-5678 内線12",
        "12345",
        "0901234",
        "090-1234-56789-0",  # 12 digits
        "9012345678",  # missing the domestic 0
        "00-1234-5678",
        "0081-90-1234-5678",
        "+",
        "+81",
        "+81 0",
        "+81 12345",
        "+81 90 1234 5678 9",
        "+0 123 4567",
        "+1 23",
        "+1234567890123456",  # 16 digits, beyond E.164
        "++81 90 1234 5678",
        "090+1234+5678",
        "٠٩٠١٢٣٤٥٦٧٨",  # Arabic-Indic digits are not accepted as phone digits
    ],
)
def test_invalid_phone_raises_without_echoing_input(raw: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        normalize_phone(raw)
    message = str(excinfo.value)
    assert message == PHONE_ERROR
    if raw.strip():
        assert raw.strip() not in message
    # The input must not leak through a chained exception either.
    assert excinfo.value.__cause__ is None


@pytest.mark.parametrize("raw", [None, 9012345678])
def test_non_string_phone_is_rejected(raw: object) -> None:
    with pytest.raises(ValueError, match=PHONE_ERROR) as excinfo:
        normalize_phone(raw)  # type: ignore[arg-type]
    assert translate(excinfo.value.args[0], "en") == "Invalid phone number"


_separator = st.sampled_from(["", "-", " ", ".", "ー", "−", "–", "—", "‐", "ｰ", "　"])


# Leading digits of real Japanese number ranges: mobile, IP phone, toll-free, Tokyo,
# Osaka, Matsue and Izumo; the rest is random and phonenumbers decides validity.
_PREFIXES = ["090", "080", "070", "050", "0120", "03", "06", "0852", "0853"]


def _valid_jp(digits: str) -> bool:
    return phonenumbers.is_valid_number(phonenumbers.parse(digits, "JP"))


def _diallable_jp(digits: str) -> bool:
    """What phonenumbers says about a domestic number: valid, or the length of a
    fixed-line, mobile or IP-phone number (ranges its tables do not know yet)."""
    number = phonenumbers.parse(digits, "JP")
    kinds = (phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE, phonenumbers.PhoneNumberType.VOIP)
    return phonenumbers.is_valid_number(number) or any(
        phonenumbers.is_possible_number_for_type(number, kind) for kind in kinds
    )


@st.composite
def domestic_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """A domestic number phonenumbers holds valid, with arbitrary separators, plus its
    bare digits."""
    prefix = draw(st.sampled_from(_PREFIXES))
    length = 11 if prefix in ("090", "080", "070", "050") else 10
    rest = draw(st.text("0123456789", min_size=length - len(prefix), max_size=length - len(prefix)))
    digits = prefix + rest
    assume(_valid_jp(digits))
    cut1 = draw(st.integers(1, len(digits) - 2))
    cut2 = draw(st.integers(cut1 + 1, len(digits) - 1))
    parts = [digits[:cut1], digits[cut1:cut2], digits[cut2:]]
    if draw(st.booleans()):
        parts[0] = f"({parts[0]})"
    text = parts[0] + draw(_separator) + parts[1] + draw(_separator) + parts[2]
    return text, digits


@given(
    st.tuples(st.sampled_from("123456789"), st.text("0123456789", min_size=8, max_size=9)).map(
        lambda parts: "0" + "".join(parts)
    )
)
def test_phone_accepts_exactly_what_phonenumbers_allows(digits: str) -> None:
    """A domestic number (trunk 0, then not 0) is accepted exactly when phonenumbers
    allows it for Japan, and then stored in its E.164 form."""
    if _diallable_jp(digits):
        assert normalize_phone(digits) == phonenumbers.format_number(
            phonenumbers.parse(digits, "JP"), phonenumbers.PhoneNumberFormat.E164
        )
    else:
        with pytest.raises(ValueError, match=PHONE_ERROR):
            normalize_phone(digits)


@given(domestic_numbers())
def test_phone_full_width_is_equivalent(sample: tuple[str, str]) -> None:
    text, digits = sample
    expected = "+81" + digits[1:]
    assert normalize_phone(text) == expected
    assert normalize_phone(full_width(text)) == expected


@given(domestic_numbers())
def test_phone_normalisation_is_idempotent(sample: tuple[str, str]) -> None:
    once = normalize_phone(sample[0])
    assert normalize_phone(once) == once


# --------------------------------------------------------------------------- kana


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ タロウ"),
        ("ｶﾞｯｺｳ", "ガッコウ"),
        ("ﾊﾟｿｺﾝ･ﾃﾞｰﾀ", "パソコン・データ"),
        ("やまだ たろう", "ヤマダ タロウ"),
        ("しまね", "シマネ"),
        ("ゔぁいおりん", "ヴァイオリン"),
        ("すゞき", "スヾキ"),
        ("やまダ　　ﾀﾛｳ", "ヤマダ タロウ"),
        ("  コーヒー  ", "コーヒー"),
        ("ジョン・スミス", "ジョン・スミス"),
        ("やまだ\u3000\u3000 たろう", "ヤマダ タロウ"),
        ("", ""),
    ],
)
def test_to_katakana(raw: str, expected: str) -> None:
    assert to_katakana(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ", "やまだ　たろう", "ジョン・スミス", "コーヒー", "ヶ"],
)
def test_is_kana_reading_true(raw: str) -> None:
    assert is_kana_reading(raw)


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "ー", "・", "山田 太郎", "Yamada Taro", "ヤマダ1", "ヤマダ,タロウ", None],
)
def test_is_kana_reading_false(raw: object) -> None:
    assert not is_kana_reading(raw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- prefectures


def test_prefecture_table_shape() -> None:
    assert len(PREFECTURES) == 47
    assert [p.code for p in PREFECTURES] == [f"{i:02d}" for i in range(1, 48)]
    assert len({p.name for p in PREFECTURES}) == 47
    assert len({p.name_en for p in PREFECTURES}) == 47
    assert PREFECTURES[0].name == "北海道"
    assert PREFECTURES[12].name == "東京都"
    assert PREFECTURES[25].name == "京都府"
    assert PREFECTURES[26].name == "大阪府"
    assert PREFECTURES[31] == ("32", "島根県", "Shimane")
    assert PREFECTURES[46].name == "沖縄県"
    suffixes = {p.name[-1] for p in PREFECTURES}
    assert suffixes == {"道", "都", "府", "県"}


@pytest.mark.parametrize("pref", PREFECTURES, ids=lambda p: p.name_en)
def test_every_prefecture_parses_all_ways(pref) -> None:
    number = int(pref.code)
    inputs = [
        pref.name,
        pref.short_name,
        pref.code,
        str(number),
        number,
        full_width(pref.code),
        pref.name_en,
        pref.name_en.lower(),
        pref.name_en.upper(),
        f"  {pref.name}\u3000",
    ]
    for value in inputs:
        assert parse_prefecture(value) == pref.name, value
        assert prefecture_code(value) == pref.code, value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("島根", "島根県"),
        ("東京", "東京都"),
        ("大阪", "大阪府"),
        ("京都", "京都府"),
        ("北海道", "北海道"),
        ("神奈川", "神奈川県"),
        ("鹿児島", "鹿児島県"),
        ("shimane", "島根県"),
        ("Kōchi", "高知県"),
        ("Ōita", "大分県"),
        ("HYŌGO", "兵庫県"),
        ("1", "北海道"),
        ("01", "北海道"),
        ("１", "北海道"),
        ("３２", "島根県"),
        (32, "島根県"),
        (47, "沖縄県"),
    ],
)
def test_parse_prefecture_examples(value: str | int, expected: str) -> None:
    assert parse_prefecture(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "0",
        "00",
        "48",
        "032",
        "001",
        "-1",
        "3.2",
        0,
        48,
        -32,
        True,
        None,
        32.5,
        "島",
        "県",
        "島根市",
        "松江",
        "Shimane-ken",
        "Edo",
        "北海",
    ],
)
def test_invalid_prefecture(value: object) -> None:
    with pytest.raises(ValueError) as excinfo:
        parse_prefecture(value)  # type: ignore[arg-type]
    assert str(excinfo.value) == "都道府県名またはJISコード(01〜47)を指定してください"
    assert translate(excinfo.value.args[0], "en") == "Use a prefecture name or JIS code 01–47"
    with pytest.raises(ValueError):
        prefecture_code(value)  # type: ignore[arg-type]


def test_prefecture_code_examples() -> None:
    assert prefecture_code("島根県") == "32"
    assert prefecture_code("Tokyo") == "13"
    assert prefecture_code(1) == "01"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+819012345678", "090-1234-5678"),
        ("+81852225111", "0852-22-5111"),
        ("+81312345678", "03-1234-5678"),
        ("+81120123456", "0120-123-456"),
        ("+442079460958", "+44 20 7946 0958"),
        ("not a number", "not a number"),
    ],
)
def test_stored_numbers_are_shown_the_way_japanese_staff_read_them(stored, shown) -> None:
    from itworks.japanese import display_phone

    assert display_phone(stored) == shown


def test_an_integral_json_number_is_its_prefecture_code() -> None:
    """JSON Schema counts 32.0 as the integer 32; the intake API must agree."""
    from itworks.japanese import parse_prefecture as parse

    assert parse(32.0) == parse(32) == "島根県"


def test_a_prefecture_reads_in_the_pages_language() -> None:
    from itworks.japanese import prefecture_label

    assert prefecture_label("島根県", "ja") == "島根県"
    assert prefecture_label("島根県", "en") == "Shimane"
    assert prefecture_label("東京都", "en") == "Tokyo"
    assert prefecture_label("北海道", "en") == "Hokkaido"
    assert prefecture_label(None, "en") is None
    assert prefecture_label("海外", "en") == "海外"  # not a prefecture: shown as stored
