"""Tasks that ask for human input, for the tests (imported, or run as a program to be killed).

    python hitl_programs.py RUN_NAME TASK [key=value ...]

runs TASK as run RUN_NAME (values are parsed as JSON where they can be) and prints its output.
"""

from __future__ import annotations

import asyncio
import json
import sys

import flyte
import flyteplugins.hitl as hitl

env = flyte.TaskEnvironment(name="hitl-tests", depends_on=[hitl.env])


@env.task(report=True)
async def ask_bool(prompt: str = "Approve? (true/false)", timeout: float = 120, poll: float = 0.05) -> bool:
    event = await hitl.new_event.aio(
        "approval", data_type=bool, prompt=prompt, timeout_seconds=timeout, poll_interval_seconds=poll
    )
    return await event.wait.aio()


@env.task
def ask_int_sync(timeout: float = 120, poll: float = 0.05) -> int:
    event = hitl.new_event("count", data_type=int, prompt="How many?", timeout_seconds=timeout, poll_interval_seconds=poll)
    return event.wait()


@env.task
async def ask_sync_in_async(poll: float = 0.05) -> float:
    # The blocking forms inside an async task: they must not deadlock (they hold the event loop).
    event = hitl.new_event("ratio", data_type=float, prompt="Ratio?", poll_interval_seconds=poll)
    return event.wait()


@env.task
async def ask_twice(poll: float = 0.05) -> list[int]:
    """Two events with one name in one task: two questions, answered in order."""
    answers = []
    for _ in range(2):
        event = await hitl.new_event.aio("n", data_type=int, prompt="A number", poll_interval_seconds=poll)
        answers.append(await event.wait.aio())
    return answers


@env.task
async def ask_many(n: int, poll: float = 0.2) -> list[int]:
    """``n`` events pending at once in one action; returns the answers by event."""
    events = await asyncio.gather(
        *(hitl.new_event.aio(f"q{i}", data_type=int, prompt=f"Answer for q{i}", poll_interval_seconds=poll)
          for i in range(n))
    )
    return list(await asyncio.gather(*(e.wait.aio() for e in events)))


@env.task
async def ask_str(prompt: str, poll: float = 0.05) -> str:
    event = await hitl.new_event.aio("note", data_type=str, prompt=prompt, poll_interval_seconds=poll)
    return await event.wait.aio()


@env.task
async def ask_in_child(poll: float = 0.05) -> str:
    approved = await ask_bool(prompt="Ship it?", poll=poll)
    return "shipped" if approved else "held"


def _value(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text


if __name__ == "__main__":
    run_name, task_name, *pairs = sys.argv[1:]
    kwargs = {k: _value(v) for k, v in (p.split("=", 1) for p in pairs)}
    run = flyte.with_runcontext(name=run_name).run(globals()[task_name], **kwargs)
    print(json.dumps(run.outputs()[0]))
