"""Page "Abort and cancel actions", cancel_tasks.py with the sleepers outliving ``main``'s wait.

In the docs' program the sleepers sleep ``f`` seconds and ``main`` waits the same ``f`` before
calling ``failing_task``, so whether a sleeper is still running when ``main`` cancels it is a
race of milliseconds. This copy differs in one line only: the sleepers sleep ``20 * f``, so
every one of them is still running when it is cancelled.
"""

import asyncio

import flyte
import flyte.errors

env = flyte.TaskEnvironment("cancel_long")

@env.task
async def sleepers(f: float, n: int):
    await asyncio.sleep(f)

@env.task
async def failing_task(f: float):
    raise ValueError("I will fail!")

@env.task
async def main(n: int, f: float):
    sleeping_tasks = []
    for i in range(n):
        sleeping_tasks.append(asyncio.create_task(sleepers(20 * f, i)))  # the one changed line

    await asyncio.sleep(f)
    try:
        await failing_task(f)
        await asyncio.gather(*sleeping_tasks)
    except flyte.errors.RuntimeUserError as e:
        if e.code == "ValueError":
            print(f"Received ValueError, canceling {len(sleeping_tasks)} sleeping tasks")
            for t in sleeping_tasks:
                t.cancel()
        return
