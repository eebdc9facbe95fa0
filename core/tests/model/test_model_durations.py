from datetime import timedelta

import pytest

from flyte._model.durations import format_duration, parse_duration, to_seconds


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("2h", 7200),
        ("30m", 1800),
        ("45s", 45),
        ("1h30m", 5400),
        ("1h 30m", 5400),
        ("1d", 86400),
        ("500ms", 0.5),
        ("1.5h", 5400),
        ("90", 90),
        ("2 hours", 7200),
        ("1w", 604800),
        ("2H", 7200),
        ("0s", 0),
    ],
)
def test_text_durations(text, seconds):
    assert to_seconds(text) == pytest.approx(seconds)
    assert parse_duration(text) == timedelta(seconds=seconds)


def test_numbers_and_timedeltas():
    assert to_seconds(3) == 3.0
    assert to_seconds(2.5) == 2.5
    assert parse_duration(timedelta(minutes=2)) == timedelta(minutes=2)


@pytest.mark.parametrize("bad", ["", "   ", "abc", "2x", "h2", "1h30", "-5s", "1h-2m"])
def test_unreadable_text_is_rejected_with_the_value(bad):
    with pytest.raises(ValueError) as info:
        to_seconds(bad, "timeout")
    assert "timeout" in str(info.value)


def test_unknown_unit_names_the_unit():
    with pytest.raises(ValueError, match="unknown duration unit `y`"):
        to_seconds("3y", "deadline")


@pytest.mark.parametrize("bad", [-1, -0.5, timedelta(seconds=-3)])
def test_negative_is_rejected(bad):
    with pytest.raises(ValueError, match="must not be negative"):
        to_seconds(bad, "timeout")


@pytest.mark.parametrize("bad", [True, None, [1], object()])
def test_wrong_types(bad):
    with pytest.raises(TypeError, match="timeout"):
        to_seconds(bad, "timeout")


def test_infinite_is_rejected():
    with pytest.raises(ValueError, match="finite"):
        to_seconds(float("inf"), "x")


def test_format_duration():
    assert format_duration(timedelta(hours=1, minutes=30)) == "1h30m"
    assert format_duration(timedelta(0)) == "0s"
    assert format_duration(timedelta(milliseconds=500)) == "500ms"
    assert format_duration(timedelta(days=1, seconds=5)) == "1d5s"
