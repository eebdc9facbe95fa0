import dataclasses
from datetime import timedelta

import pytest

import flyte
from flyte._model.retry import DEFAULT_BACKOFF, MAX_RETRIES, Backoff, RetryStrategy, normalize_retries
from flyte._model.timeout import Timeout, normalize_timeout


def test_public_names():
    assert flyte.RetryStrategy is RetryStrategy and flyte.Backoff is Backoff and flyte.Timeout is Timeout


# ------------------------------------------------------------------ retries


def test_normalize_retries_forms():
    assert normalize_retries(None, "t") == RetryStrategy(count=0)
    assert normalize_retries(3, "t") == RetryStrategy(count=3)
    strategy = RetryStrategy(count=2, backoff=Backoff(base=1))
    assert normalize_retries(strategy, "t") is strategy
    assert normalize_retries(MAX_RETRIES, "t").count == 10


@pytest.mark.parametrize("value", [11, 12, RetryStrategy(count=12)])
def test_more_than_ten_retries_rejected_naming_the_task(value):
    count = value if isinstance(value, int) else value.count
    with pytest.raises(ValueError, match=f"at most 10 retries are allowed; got {count} for task `x`"):
        normalize_retries(value, "x")


def test_negative_retries_rejected():
    with pytest.raises(ValueError, match="retries must be 0 or more; got -1 for task `env.t`"):
        normalize_retries(-1, "env.t")
    with pytest.raises(ValueError, match="RetryStrategy count: got -2; expected 0 or more retries"):
        RetryStrategy(count=-2)


def test_wrong_retry_types():
    with pytest.raises(TypeError, match="retries: got str '3' for task `t`; accepted: an int or flyte.RetryStrategy"):
        normalize_retries("3", "t")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="retries: got bool True"):
        normalize_retries(True, "t")
    with pytest.raises(TypeError, match="RetryStrategy count: got float 1.5; expected an int"):
        RetryStrategy(count=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="RetryStrategy backoff: got int 5; expected flyte.Backoff or None"):
        RetryStrategy(count=1, backoff=5)  # type: ignore[arg-type]


def test_backoff_delays():
    backoff = Backoff(base=timedelta(seconds=10), factor=2.0, cap=timedelta(minutes=1))
    assert [backoff.compute_delay(n) for n in range(5)] == [10.0, 20.0, 40.0, 60.0, 60.0]
    constant = Backoff(base=2)
    assert [constant.compute_delay(n) for n in range(3)] == [2.0, 2.0, 2.0]
    assert Backoff(base="500ms", factor=3).compute_delay(2) == pytest.approx(4.5)
    assert Backoff(base=1, factor=10).compute_delay(400) == float("inf")
    assert Backoff(base=1, factor=10, cap=5).compute_delay(400) == 5.0
    assert Backoff().base == timedelta(seconds=1)


def test_backoff_validation():
    with pytest.raises(ValueError, match="Backoff factor: got 0.5; expected a number >= 1"):
        Backoff(base=1, factor=0.5)
    with pytest.raises(TypeError, match="Backoff factor: got 'fast'"):
        Backoff(base=1, factor="fast")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Backoff base: got -1; a duration must not be negative"):
        Backoff(base=-1)
    with pytest.raises(ValueError, match="Backoff cap: cannot read 'soon'"):
        Backoff(base=1, cap="soon")
    with pytest.raises(ValueError, match="attempt got -1"):
        Backoff(base=1).compute_delay(-1)


def test_default_delay_is_small_exponential_capped():
    strategy = RetryStrategy(count=10)
    delays = [strategy.delay(n) for n in range(10)]
    assert delays[:3] == pytest.approx([0.1, 0.2, 0.4])
    assert max(delays) == 5.0 and delays[-1] == 5.0
    assert DEFAULT_BACKOFF.compute_delay(0) == pytest.approx(0.1)
    assert RetryStrategy(count=1, backoff=Backoff(base=3)).delay(0) == 3.0


def test_retry_strategy_misc():
    assert RetryStrategy(count=3).attempts == 4
    assert RetryStrategy(count=1).describe() == "1 retry"
    assert RetryStrategy(count=2, backoff=Backoff(base=1, factor=2, cap=30)).describe() == (
        "2 retries, backoff 1.0s x2 (cap 30.0s)"
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        RetryStrategy(count=1).count = 3  # type: ignore[misc]


# ------------------------------------------------------------------ timeouts


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("2h", 7200),
        ("30m", 1800),
        ("45s", 45),
        ("1h30m", 5400),
        ("1d", 86400),
        ("500ms", 0.5),
        (90, 90),
        (1.5, 1.5),
        (timedelta(minutes=5), 300),
    ],
)
def test_normalize_timeout_forms(value, seconds):
    timeout = normalize_timeout(value)
    assert timeout is not None and timeout.max_runtime_seconds == pytest.approx(seconds)
    assert timeout.max_queued_time is None and timeout.deadline is None


@pytest.mark.parametrize("value", [None, 0, 0.0, "0s", timedelta(0), Timeout(), Timeout(max_runtime=0)])
def test_zero_or_unset_means_no_timeout(value):
    assert normalize_timeout(value) is None


def test_timeout_object():
    timeout = Timeout(max_runtime="1h", max_queued_time=600, deadline=timedelta(days=1))
    assert timeout.max_runtime == timedelta(hours=1)
    assert timeout.max_queued_time_seconds == 600.0
    assert timeout.deadline_seconds == 86400.0
    assert normalize_timeout(timeout) is timeout
    assert timeout.describe() == "timeout max_runtime=1h, max_queued_time=10m, deadline=1d"
    assert Timeout().describe() == "no timeout" and Timeout().max_runtime_seconds is None
    assert Timeout(deadline="2h").max_runtime_seconds is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        timeout.deadline = None  # type: ignore[misc]


def test_timeout_errors():
    with pytest.raises(ValueError, match="timeout: cannot read 'soon' as a duration"):
        normalize_timeout("soon")
    with pytest.raises(ValueError, match="timeout: got -5; a duration must not be negative"):
        normalize_timeout(-5)
    with pytest.raises(TypeError, match="timeout: got bool True"):
        normalize_timeout(True)
    with pytest.raises(TypeError, match=r"timeout: got list \[1\]; accepted: seconds as int/float"):
        normalize_timeout([1])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Timeout deadline: unknown duration unit `parsecs`"):
        Timeout(deadline="3parsecs")
    with pytest.raises(TypeError, match="Timeout max_queued_time: got dict"):
        Timeout(max_queued_time={})  # type: ignore[arg-type]
