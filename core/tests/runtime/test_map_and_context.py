from __future__ import annotations

import asyncio
import threading
import time

import pytest

import flyte
import flyte.errors
from flyte.models import ActionPhase

env = flyte.TaskEnvironment("parallel")


class Gauge:
    """Counts how many calls run at once."""

    def __init__(self):
        self.lock = threading.Lock()
        self.now = 0
        self.peak = 0

    def __enter__(self):
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def __exit__(self, *exc):
        with self.lock:
            self.now -= 1


gauge = Gauge()


@env.task
async def call_api(prompt: str) -> str:
    with gauge:
        await asyncio.sleep(0.05)
    return f"Response to: {prompt}"


@env.task
def sync_call(x: int) -> int:
    with gauge:
        time.sleep(0.05)
    return x * 2


@env.task
async def with_semaphore(prompts: list[str], max_concurrent: int = 3) -> list[str]:
    semaphore = asyncio.Semaphore(max_concurrent)

    async def limited(p: str) -> str:
        async with semaphore:
            return await call_api(p)

    return list(await asyncio.gather(*[limited(p) for p in prompts]))


@env.task
async def with_map(prompts: list[str]) -> list[str]:
    return list(flyte.map(call_api, prompts, concurrency=3))


PROMPTS = [f"p{i}" for i in range(12)]


@pytest.mark.parametrize("task", [with_semaphore, with_map])
def test_concurrency_limit_holds_and_calls_overlap(task):
    global gauge
    gauge = Gauge()
    run = flyte.run(task, PROMPTS)
    assert run.outputs()[0] == [f"Response to: {p}" for p in PROMPTS]
    assert gauge.peak == 3


@env.task
async def map_aio_over_sync(n: int) -> list[int]:
    out = []
    async for r in flyte.map.aio(sync_call, range(n), concurrency=4):
        if isinstance(r, Exception):
            raise r
        out.append(r)
    return out


def test_map_aio_over_sync_tasks_runs_them_in_parallel_threads():
    global gauge
    gauge = Gauge()
    run = flyte.run(map_aio_over_sync, 16)
    assert run.outputs()[0] == [2 * i for i in range(16)]
    assert gauge.peak == 4
    groups = {tuple(a.group) for a in run.actions() if a.task_name == "parallel.sync_call"}
    assert groups == {("sync_call-map",)}


@env.task
def maybe_fail(x: int) -> int:
    if x == 2:
        raise ValueError("two")
    return x


@env.task
def sync_parent(n: int) -> list[str]:
    return [type(r).__name__ if isinstance(r, Exception) else str(r) for r in flyte.map(maybe_fail, range(n))]


def test_map_return_exceptions_default_true_in_sync_task():
    assert flyte.run(sync_parent, 4).outputs()[0] == ["0", "1", "RuntimeUserError", "3"]


@env.task
async def map_raises(n: int) -> int:
    try:
        async for _ in flyte.map.aio(maybe_fail, range(n), return_exceptions=False):
            pass
    except flyte.errors.RuntimeUserError as e:
        return len(e.code)
    return -1


def test_map_return_exceptions_false_raises():
    assert flyte.run(map_raises, 4).outputs() == len("ValueError")


def test_map_outside_a_run_is_plain_calls():
    assert list(flyte.map(maybe_fail, [1, 3])) == [1, 3]


@env.task
async def sync_from_async(x: int) -> int:
    # The links page calls a sync task without .aio from an async task: it must not deadlock.
    return sync_call(x) + await sync_call.aio(x)


def test_sync_task_called_directly_from_async_task():
    assert flyte.run(sync_from_async, 5).outputs() == 20


ctx_env = flyte.TaskEnvironment("custom-context-example")
seen: dict[str, dict] = {}


@ctx_env.task
async def downstream() -> str:
    seen["downstream"] = flyte.ctx().custom_context
    return flyte.ctx().custom_context.get("trace_id")


@ctx_env.task
async def parent() -> str:
    seen["initial"] = dict(flyte.ctx().custom_context)
    with flyte.custom_context(trace_id="child-override", extra="x"):
        val = await downstream()
    seen["after"] = flyte.get_custom_context()
    return val


def test_custom_context_merge_and_precedence():
    run = flyte.with_runcontext(custom_context={"trace_id": "root-abc", "experiment": "v1"}).run(parent)
    assert run.outputs() == "child-override"
    assert seen["initial"] == {"trace_id": "root-abc", "experiment": "v1"}
    assert seen["downstream"] == {"trace_id": "child-override", "experiment": "v1", "extra": "x"}
    assert seen["after"] == {"trace_id": "root-abc", "experiment": "v1"}


def test_custom_context_values_must_be_strings():
    with pytest.raises(TypeError, match="strings"):
        flyte.with_runcontext(custom_context={"n": 1})
    with pytest.raises(TypeError, match="`n` is int"):
        with flyte.custom_context(n=1):
            pass


grp = flyte.TaskEnvironment("groups")


@grp.task
async def step(x: str, op: str) -> str:
    return f"{x}>{op}"


@grp.task
async def grouped(raw: str) -> str:
    with flyte.group("prep"):
        a = await step(raw, "clean")
        with flyte.group("inner"):
            b = await step(a, "split")
    c = await step(b, "train")
    return c


def test_groups_recorded_as_paths():
    run = flyte.run(grouped, "d")
    assert run.outputs() == "d>clean>split>train"
    paths = [a.group for a in run.actions() if a.task_name == "groups.step"]
    assert paths == [["prep"], ["prep", "inner"], []]


@grp.task
async def who_am_i() -> str:
    c = flyte.ctx()
    return f"{c.action.run_name}|{c.action.name}|{c.action.project}|{c.action.domain}"


def test_ctx_inside_and_outside():
    assert not flyte.ctx()
    assert flyte.get_custom_context() == {}
    run = flyte.run(who_am_i)
    run_name, action, project, domain = run.outputs()[0].split("|")
    assert run_name == run.name and action == run.actions()[0].name
    assert (project, domain) == ("default", "development")


short = flyte.TaskEnvironment("friendly_names")


@short.task(short_name="my_task")
async def some_task() -> str:
    return "Hello, Flyte!"


@short.task(short_name="entrypoint")
async def short_main() -> str:
    s = await some_task()
    return s + await some_task.override(short_name="my_name")()


def test_short_names():
    run = flyte.run(short_main)
    assert run.outputs() == "Hello, Flyte!Hello, Flyte!"
    assert [a.short_name for a in run.actions()] == ["entrypoint", "my_task", "my_name"]


@env.task
async def printer(i: int) -> int:
    for k in range(3):
        print(f"task {i} line {k}")
        await asyncio.sleep(0.01)
    return i


@env.task
async def print_many(n: int) -> int:
    return sum(await asyncio.gather(*(printer(i) for i in range(n))))


def test_concurrent_prints_are_kept_per_action(capsys):
    run = flyte.run(print_many, 4)
    assert run.outputs() == 6
    for a in run.actions()[1:]:
        i = a.record.action_id and [x for x in a.logs().split("\n") if x][0].split()[1]
        assert a.logs() == "".join(f"task {i} line {k}\n" for k in range(3))
    assert "task 3 line 2" in capsys.readouterr().out
    assert run.phase == ActionPhase.SUCCEEDED
