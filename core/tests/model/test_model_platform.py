import logging
import pickle
from datetime import datetime, timedelta

import pytest

import flyte
from flyte._model.platform import Cron, Documentation, FixedRate, PodTemplate, ReusePolicy, Trigger, TriggerTime


def test_public_names():
    assert flyte.PodTemplate is PodTemplate and flyte.ReusePolicy is ReusePolicy and flyte.Trigger is Trigger
    assert flyte.Cron is Cron and flyte.FixedRate is FixedRate and flyte.Documentation is Documentation


def test_creating_platform_objects_logs_no_local_effect(caplog):
    with caplog.at_level(logging.DEBUG, logger="flyte._model.platform"):
        ReusePolicy(replicas=2)
    assert "has no effect on local runs" in caplog.text


# ------------------------------------------------------------------ PodTemplate


def test_pod_template():
    pt = PodTemplate(labels={"team": "ml"}, annotations={"a": "b"})
    assert pt.primary_container_name == "primary" and pt.pod_spec is None
    assert pt.describe() == "pod template (primary container 'primary', 1 label(s), 1 annotation(s))"
    spec = {"containers": [{"name": "main"}]}
    assert PodTemplate(pod_spec=spec, primary_container_name="main").pod_spec is spec


def test_pod_template_from_spec():
    class Container:
        def __init__(self, name):
            self.name = name

    class Spec:
        def __init__(self, *names):
            self.containers = [Container(n) for n in names]

    assert PodTemplate.from_spec(Spec("only")).primary_container_name == "only"
    assert PodTemplate.from_spec(Spec("side", "primary")).primary_container_name == "primary"
    assert PodTemplate.from_spec({"containers": [{"name": "a"}, {"name": "b"}]}, primary_container_name="b")
    with pytest.raises(ValueError, match=r"cannot tell the primary container among \['a', 'b'\]"):
        PodTemplate.from_spec(Spec("a", "b"))
    with pytest.raises(ValueError, match=r"primary_container_name 'c' is not in the pod spec; containers: \['a'\]"):
        PodTemplate.from_spec(Spec("a"), primary_container_name="c")


def test_pod_template_validation():
    with pytest.raises(ValueError, match="PodTemplate primary_container_name: got ''"):
        PodTemplate(primary_container_name="")
    with pytest.raises(TypeError, match=r"PodTemplate labels\['n'\]: got int 1; values must be strings"):
        PodTemplate(labels={"n": 1})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="PodTemplate annotations: got list"):
        PodTemplate(annotations=["a"])  # type: ignore[arg-type]


# ------------------------------------------------------------------ ReusePolicy


def test_reuse_policy_defaults_and_forms():
    policy = ReusePolicy()
    assert policy.replicas == (2, 2) and policy.concurrency == 1
    assert policy.idle_ttl == timedelta(seconds=30) and policy.get_scaledown_ttl() == timedelta(seconds=30)
    scaled = ReusePolicy(replicas=(1, 3), concurrency=2, idle_ttl="10m", scaledown_ttl=timedelta(minutes=1))
    assert (scaled.min_replicas, scaled.max_replicas) == (1, 3)
    assert scaled.describe() == "reuse 1..3 replicas x concurrency 2, idle_ttl 10m, scaledown_ttl 1m"
    assert ReusePolicy(idle_ttl=None).idle_ttl is None
    assert ReusePolicy(scope="run").describe().endswith("scope run")


def test_reuse_policy_validation():
    with pytest.raises(ValueError, match=r"ReusePolicy replicas: got \(3, 1\); expected min >= 0, max >= 1"):
        ReusePolicy(replicas=(3, 1))
    with pytest.raises(ValueError, match="ReusePolicy replicas: got 0; expected min >= 0, max >= 1"):
        ReusePolicy(replicas=0)
    with pytest.raises(ValueError, match=r"ReusePolicy replicas: got \(1, 2, 3\); expected an int or a \(min, max\)"):
        ReusePolicy(replicas=(1, 2, 3))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ReusePolicy concurrency: got 0; expected an int >= 1"):
        ReusePolicy(concurrency=0)
    with pytest.raises(ValueError, match="ReusePolicy idle_ttl: got 0; expected a positive duration"):
        ReusePolicy(idle_ttl=0)
    with pytest.raises(ValueError, match="ReusePolicy scaledown_ttl: got -3; a duration must not be negative"):
        ReusePolicy(scaledown_ttl=-3)
    with pytest.raises(ValueError, match=r"ReusePolicy scope: got 'world'; accepted: \['global', 'run'\]"):
        ReusePolicy(scope="world")


# ------------------------------------------------------------------ Cron / FixedRate / Trigger


@pytest.mark.parametrize(
    "expression",
    [
        "0 * * * *",
        "*/15 9-17 * * MON-FRI",
        "0 6 1 * *",
        "0 0 * * 0",
        "30 2 1,15 JAN,jul 7",
        "0 12 ? * 1",
        "@daily",
        "@HOURLY",
        "5-55/10 * * * *",
    ],
)
def test_valid_cron(expression):
    assert Cron(expression).expression == expression


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("* * * *", "with 4 field"),
        ("0 * * * * *", "with 6 field"),
        ("60 * * * *", "minute field '60'"),
        ("0 24 * * *", "hour field '24'"),
        ("0 0 0 * *", "day of month field '0'"),
        ("0 0 1 13 *", "month field '13'"),
        ("0 0 * * 8", "day of week field '8'"),
        ("0 0 * * FOO", "day of week field 'FOO'"),
        ("*/0 * * * *", "minute field '\\*/0'"),
        ("10-5 * * * *", "minute field '10-5'"),
        ("? * * * *", "minute field '\\?'"),
    ],
)
def test_invalid_cron(expression, message):
    with pytest.raises(ValueError, match=f"Cron expression: .*{message}"):
        Cron(expression)


def test_cron_timezone_and_text():
    cron = Cron("0 6 1 * *", timezone="America/New_York")
    assert cron.describe() == "cron '0 6 1 * *' (America/New_York)"
    assert str(cron) == "Cron Trigger: 0 6 1 * *"
    with pytest.raises(ValueError, match="Cron timezone: got ''"):
        Cron("0 * * * *", timezone="")
    with pytest.raises(ValueError, match="Cron expression: got ''"):
        Cron("")


def test_fixed_rate():
    start = datetime(2025, 1, 1)
    rate = FixedRate(15, start_time=start)
    assert rate.describe() == "every 15 minutes from 2025-01-01T00:00:00"
    assert FixedRate(1).describe() == "every 1 minute"
    with pytest.raises(ValueError, match="FixedRate interval_minutes: got 0; expected an int >= 1"):
        FixedRate(0)
    with pytest.raises(TypeError, match="FixedRate start_time: got str '2025'; expected a datetime"):
        FixedRate(5, start_time="2025")  # type: ignore[arg-type]


def test_trigger_like_the_upstream_examples():
    trigger = Trigger(
        name="monthly_financial_report",
        automation=Cron("0 6 1 * *", timezone="America/New_York"),
        description="Monthly report",
        inputs={"report_date": TriggerTime, "report_type": "executive_summary"},
        env_vars={"REPORT_OUTPUT_FORMAT": "PDF"},
        interruptible=False,
        overwrite_cache=True,
        queue="financial-reports",
        labels={"team": "finance"},
        annotations={"k": "v"},
    )
    assert trigger.inputs == {"report_date": TriggerTime, "report_type": "executive_summary"}
    assert trigger.describe() == "trigger 'monthly_financial_report': cron '0 6 1 * *' (America/New_York)"
    positional = Trigger("custom_cron", Cron("0 0 * * *"), inputs={"start_time": TriggerTime, "x": 1})
    assert positional.name == "custom_cron"


def test_trigger_presets():
    assert Trigger.hourly().automation == Cron("0 * * * *")
    assert Trigger.hourly().inputs == {"trigger_time": TriggerTime}
    assert Trigger.daily().automation.expression == "0 0 * * *"
    assert Trigger.weekly().automation.expression == "0 0 * * 0"
    assert Trigger.monthly().automation.expression == "0 0 1 * *"
    minutely = Trigger.minutely("start_time", inputs={"x": 1}, queue="q")
    assert minutely.inputs == {"start_time": TriggerTime, "x": 1} and minutely.queue == "q"
    assert (
        Trigger.daily(name="nightly", auto_activate=False).describe()
        == "trigger 'nightly': cron '0 0 * * *' (inactive)"
    )


def test_trigger_time_is_a_singleton_that_pickles():
    assert pickle.loads(pickle.dumps(TriggerTime)) is TriggerTime
    assert repr(TriggerTime) == "flyte.TriggerTime"


def test_trigger_validation():
    with pytest.raises(ValueError, match="Trigger name: got ''"):
        Trigger("", Cron("0 * * * *"))
    with pytest.raises(TypeError, match="Trigger automation: got str '0 \\* \\* \\* \\*'; expected flyte.Cron"):
        Trigger("t", "0 * * * *")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Trigger auto_activate: got 'yes'; expected True or False"):
        Trigger("t", FixedRate(5), auto_activate="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"Trigger env_vars\['A'\]: got int 1"):
        Trigger("t", FixedRate(5), env_vars={"A": 1})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="Trigger inputs: got"):
        Trigger("t", FixedRate(5), inputs={1: 2})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="Trigger trigger_time_input_key: got ''"):
        Trigger.hourly("")


# ------------------------------------------------------------------ Documentation


def test_documentation():
    docs = Documentation(description="Adds numbers.\nMore text.", long_description="# Long")
    assert docs.describe() == "Adds numbers."
    assert Documentation().describe() == "no documentation"
    assert Documentation(description="x" * 300).short_description == "x" * 255
    with pytest.raises(TypeError, match="Documentation description: got int 3; expected a string or None"):
        Documentation(description=3)  # type: ignore[arg-type]
