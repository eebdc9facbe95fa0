"""Page "Abort and cancel actions", the last sentence of "Handling external aborts", as code.

"Without return_exceptions=True, an external abort would raise ActionAbortedError directly,
which you can handle with a standard try...except block."
"""

import asyncio

import flyte
import flyte.errors

env = flyte.TaskEnvironment("external_abort_try")

@env.task
async def long_sleeper(sleep_for: float):
    await asyncio.sleep(sleep_for)

@env.task
async def main(sleep_for: float) -> str:
    try:
        await long_sleeper(sleep_for)
    except flyte.errors.ActionAbortedError as e:
        print(f"long_sleeper was externally aborted: {e.code}")
        return "handled"
    return "not aborted"
