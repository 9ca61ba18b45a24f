import pytest

from pathway import nhs_number

# 9990000050: 9*10 + 9*9 + 9*8 + 5*2 = 253, 253 mod 11 = 0, 11 - 0 = 11, so the check digit is 0.
CHECK_DIGIT_ELEVEN = "9990000050"


def test_it_accepts_the_worked_example_from_the_clinical_rules():
    assert nhs_number.is_valid("9434765919")


def test_it_accepts_the_worked_example_in_3_3_4_form():
    assert nhs_number.is_valid("943 476 5919")


@pytest.mark.parametrize("last_digit", [d for d in "0123456789" if d != "9"])
def test_it_rejects_the_worked_example_with_any_other_check_digit(last_digit):
    assert not nhs_number.is_valid("943476591" + last_digit)


def test_it_treats_a_computed_check_digit_of_11_as_0():
    assert nhs_number.is_valid(CHECK_DIGIT_ELEVEN)


@pytest.mark.parametrize("last_digit", "123456789")
def test_it_rejects_a_stem_whose_check_digit_is_0_with_any_other_last_digit(last_digit):
    assert not nhs_number.is_valid(CHECK_DIGIT_ELEVEN[:9] + last_digit)


@pytest.mark.parametrize("last_digit", "0123456789")
def test_it_rejects_every_number_whose_computed_check_digit_is_10(last_digit):
    # 9*10 + 9*9 + 9*8 = 243, 243 mod 11 = 1, 11 - 1 = 10: no valid number has this stem.
    assert not nhs_number.is_valid("999000000" + last_digit)


def test_it_rejects_1234567890_whose_computed_check_digit_is_10():
    assert not nhs_number.is_valid("1234567890")


def test_it_keeps_leading_zeros_significant():
    assert nhs_number.is_valid("0123456789")
    assert nhs_number.normalise("012 345 6789") == "0123456789"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("943476591", id="9 digits"),
        pytest.param("94347659190", id="11 digits"),
        pytest.param("", id="empty"),
        pytest.param("943  476 5919", id="double space first"),
        pytest.param("943 476  5919", id="double space second"),
        pytest.param("943476 5919", id="missing first space"),
        pytest.param("943 4765919", id="missing second space"),
        pytest.param("9434 76 5919", id="spaces in the wrong places"),
        pytest.param("943-476-5919", id="hyphens"),
        pytest.param("943\t476\t5919", id="tabs"),
        pytest.param("943\u00a0476\u00a05919", id="non-breaking spaces"),
        pytest.param(" 9434765919", id="leading space"),
        pytest.param("9434765919 ", id="trailing space"),
        pytest.param("9434765919\n", id="trailing newline"),
        pytest.param("94347659l9", id="letter"),
        pytest.param("\u0669\u0664\u0663\u0664\u0667\u0666\u0665\u0669\u0661\u0669", id="arabic"),
        pytest.param(
            "\uff19\uff14\uff13\uff14\uff17\uff16\uff15\uff19\uff11\uff19", id="fullwidth"
        ),
        pytest.param("+9434765919", id="sign"),
    ],
)
def test_it_rejects_anything_but_10_digits_or_3_3_4_with_single_spaces(value):
    assert not nhs_number.is_valid(value)


@pytest.mark.parametrize("value", [None, 9434765919, b"9434765919", ["9434765919"], 9434765919.0])
def test_it_returns_false_for_a_value_that_is_not_a_string(value):
    assert nhs_number.is_valid(value) is False


@pytest.mark.parametrize("value", ["9434765919", "943 476 5919"])
def test_it_normalises_to_the_10_digit_stored_form(value):
    assert nhs_number.normalise(value) == "9434765919"


@pytest.mark.parametrize(
    "value", ["9434765918", "943  476 5919", "943476591", "1234567890", "", None, 9434765919]
)
def test_it_refuses_to_normalise_an_invalid_number(value):
    with pytest.raises(ValueError):
        nhs_number.normalise(value)


@pytest.mark.parametrize("value", ["9434765919", "943 476 5919"])
def test_it_formats_for_display_as_3_3_4(value):
    assert nhs_number.format(value) == "943 476 5919"


def test_it_formats_a_check_digit_of_0():
    assert nhs_number.format(CHECK_DIGIT_ELEVEN) == "999 000 0050"


@pytest.mark.parametrize("value", ["9434765918", "943-476-5919", "", None])
def test_it_refuses_to_format_an_invalid_number(value):
    with pytest.raises(ValueError):
        nhs_number.format(value)


def test_a_number_with_spaces_around_it_is_not_itself_valid():
    # Forms take the spaces off first (pathway.forms.NhsNumberField); the convention does not.
    assert not nhs_number.is_valid(" 999 000 0018")
