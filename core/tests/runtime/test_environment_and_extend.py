from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest

import flyte
import flyte.errors
from flyte.extend import AsyncFunctionTaskTemplate, TaskPluginRegistry, TaskTemplate
from flyte.models import ActionPhase


def test_environment_name_validation():
    for good in ("my_env", "ex-mixed-structures", "a1", "fanout_env"):
        flyte.TaskEnvironment(good)
    for bad in ("My Env", "env!", "-x", "x--y", "", "UPPER"):
        with pytest.raises(ValueError, match="invalid"):
            flyte.TaskEnvironment(bad)


def test_task_decorator_bare_and_with_arguments():
    env = flyte.TaskEnvironment(
        "configured",
        resources=flyte.Resources(cpu=2, memory="1Gi"),
        env_vars={"A": "1"},
        cache="auto",
        image=flyte.Image.from_debian_base().with_pip_packages("numpy"),
    )

    @env.task
    def bare(x: int) -> int:
        return x

    @env.task(short_name="nice", retries=3, timeout="2h", report=True, cache="disable")
    async def configured(x: int) -> int:
        return x

    assert bare.name == "configured.bare" and bare.short_name == "bare"
    assert bare.cache.behavior == "auto" and bare.resources.cpu == 2
    assert configured.short_name == "nice" and configured.retries.count == 3
    assert configured.timeout.max_runtime_seconds == 7200 and configured.report
    assert configured.cache.behavior == "disable"
    assert set(env.tasks) == {"configured.bare", "configured.configured"}
    assert bare(4) == 4  # outside a run: a plain call


def test_override_chains_and_rejects_fixed_fields():
    env = flyte.TaskEnvironment("over")

    @env.task
    async def t(x: int) -> int:
        return x

    o = t.override(short_name="a").override(retries=2, resources=flyte.Resources(memory="2Gi"))
    assert (o.short_name, o.retries.count, o.resources.memory) == ("a", 2, "2Gi")
    assert t.short_name == "t" and t.retries.count == 0
    with pytest.raises(ValueError, match="cannot be overridden"):
        t.override(name="x")
    with pytest.raises(TypeError, match="unknown argument"):
        t.override(colour="red")
    with pytest.raises(ValueError, match="10"):
        t.override(retries=20)


def test_clone_with_and_from_task():
    base = flyte.TaskEnvironment("base", env_vars={"A": "1"}, resources=flyte.Resources(cpu=1))
    clone = base.clone_with("clone", resources=flyte.Resources(cpu=4))
    assert clone.name == "clone" and clone.env_vars == {"A": "1"} and clone.resources.cpu == 4
    with pytest.raises(TypeError, match="unknown argument"):
        base.clone_with("c2", colour="red")

    other = flyte.TaskEnvironment("other")

    @other.task
    async def owned() -> None: ...

    with pytest.raises(ValueError, match="already belongs"):
        flyte.TaskEnvironment.from_task("wrapper", owned)

    template = AsyncFunctionTaskTemplate(
        name="free.task", interface=flyte.extend.NativeInterface.from_callable(_free), func=_free
    )
    wrapper = flyte.TaskEnvironment.from_task("wrapper", template)
    assert list(wrapper.tasks) == ["free.task"] and template.parent_env_name == "wrapper"
    env = flyte.TaskEnvironment(name="hello_world", depends_on=[wrapper])
    assert env.depends_on == [wrapper]


async def _free(x: int) -> int:
    return x * 3


def test_remote_only_configuration_is_accepted_and_recorded(caplog):
    env = flyte.TaskEnvironment(
        "remote-things",
        secrets=flyte.SecretRequest(secrets={"api_key": "MY_API_KEY"}),
        pod_template=flyte.PodTemplate(labels={"team": "ml"}),
        reusable=flyte.ReusePolicy(replicas=2, idle_ttl=60),
        image=flyte.Image.from_uv_script(__file__, name="img").with_apt_packages("git").with_env_vars({"X": "1"}),
        queue="gpu",
    )

    @env.task(triggers=flyte.Trigger("nightly", flyte.Cron("0 0 * * *")))
    async def noop() -> int:
        return 1

    with caplog.at_level(logging.DEBUG, logger="flyte"):
        run = flyte.run(noop)
    assert run.outputs() == 1
    config = run.actions()[0].record.config
    assert "no_local_effect" in config and "pod_template" in config and "reusable" in config
    assert any("no local effect" in r.getMessage() for r in caplog.records)


@dataclass
class Echo:
    prefix: str = ""


@dataclass(kw_only=True)
class EchoTask(AsyncFunctionTaskTemplate):
    task_type: str = "echo"
    calls: list = None  # type: ignore[assignment]

    async def pre(self, **kwargs):
        return {k: v.upper() if isinstance(v, str) else v for k, v in kwargs.items()}

    async def execute(self, **kwargs):
        return self.plugin_config.prefix + await super().execute(**kwargs)

    async def post(self, return_value):
        return return_value + "!"


def test_task_type_extension_point_runs_pre_execute_post():
    TaskPluginRegistry.register(Echo, EchoTask, override=True)
    env = flyte.TaskEnvironment("echo-env", plugin_config=Echo("> "))

    @env.task
    async def shout(text: str) -> str:
        return text

    assert isinstance(shout, EchoTask) and shout.task_type == "echo"
    run = flyte.run(shout, "hi")
    assert run.outputs() == "> HI!"
    assert '"task_type": "echo"' in run.actions()[0].record.config


def test_registry_rejects_conflicts_naming_both():
    class Other(AsyncFunctionTaskTemplate):
        pass

    TaskPluginRegistry.register(Echo, EchoTask, override=True)
    with pytest.raises(ValueError, match="EchoTask.*Other|Other.*EchoTask"):
        TaskPluginRegistry.register(Echo, Other)
    with pytest.raises(TypeError, match="TaskTemplate"):
        TaskPluginRegistry.register(Echo, dict)  # type: ignore[arg-type]


def test_unknown_plugin_config_is_a_clear_error():
    class Unregistered:
        pass

    env = flyte.TaskEnvironment("nope", plugin_config=Unregistered())
    with pytest.raises(ValueError, match="No task type is registered"):

        @env.task
        async def t() -> None: ...


def test_template_subclass_without_function():
    @dataclass(kw_only=True)
    class Constant(TaskTemplate):
        value: int = 7

        async def execute(self, **kwargs):
            return self.value + kwargs["x"]

    t = Constant(name="const.t", interface=flyte.extend.NativeInterface({"x": (int, 1)}, {"o0": int}))
    assert flyte.run(t, x=3).outputs() == 10
    assert flyte.run(t).phase == ActionPhase.SUCCEEDED
    with pytest.raises(NotImplementedError, match="cannot be forwarded"):
        t(1)


def test_init_records_project_and_domain_and_warns_once_for_endpoint(caplog):
    env = flyte.TaskEnvironment("init-env")

    @env.task
    async def where() -> str:
        a = flyte.ctx().action
        return f"{a.project}/{a.domain}"

    with caplog.at_level(logging.WARNING, logger="flyte"):
        flyte.init(endpoint="https://union.example.com", org="example_org", project="example_project", domain="development")
        flyte.init(endpoint="https://union.example.com", project="example_project", domain="development")
    warnings = [r for r in caplog.records if "no Flyte backend" in r.getMessage()]
    assert len(warnings) <= 1  # once per process (an earlier test may already have triggered it)
    try:
        run = flyte.run(where)
        assert run.outputs() == "example_project/development"
        assert flyte.remote.Run.get(run.name)._record().project == "example_project"
    finally:
        flyte.init(project="default", domain="development")


def test_init_from_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    flyte.init_from_config()  # nothing found: local mode, no error
    with pytest.raises(flyte.errors.InitializationError, match="does not exist"):
        flyte.init_from_config(tmp_path / "missing.yaml")
    cfg = tmp_path / "config.yaml"
    cfg.write_text("task:\n  project: proj-a\n  domain: staging\n")
    try:
        flyte.init_from_config(cfg)
        assert (flyte.current_project(), flyte.current_domain()) == ("proj-a", "staging")
    finally:
        flyte.init(project="default", domain="development")
