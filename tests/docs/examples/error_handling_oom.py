"""Page "Error handling", with an out-of-memory failure simulated.

Locally there are no memory limits yet (the in-process executor), so the docs' ``[0] * 100000000``
never runs out of memory. This copy of the docs' program differs only in ``oomer``: the call
the docs expect to exceed 250Mi (``oomer(2)``) raises ``MemoryError``, which the runtime turns into
``flyte.errors.OOMError`` in the parent; the retry with ``memory="1Gi"`` (``oomer(5)``) fits.
The input decides instead of a call counter, so the copy stays right under an executor that
runs each action in its own process. ``oomer_always`` never fits, for the "giving up" branch.
"""

import asyncio

import flyte
import flyte.errors

env = flyte.TaskEnvironment(name="fail_oom", resources=flyte.Resources(cpu=1, memory="250Mi"))

@env.task
async def oomer(x: int):
    if x == 2:  # the first call, made with 250Mi: out of memory
        raise MemoryError("Unable to allocate 763 MiB: the task is limited to 250Mi")
    large_list = [0] * 100000000
    print(len(large_list))

@env.task
async def always_succeeds() -> int:
    await asyncio.sleep(1)
    return 42

@env.task
async def main() -> int:
    try:
        await oomer(2)
    except flyte.errors.OOMError as e:
        print(f"Failed with oom trying with more resources: {e}, of type {type(e)}, {e.code}")
        try:
            await oomer.override(resources=flyte.Resources(cpu=1, memory="1Gi"))(5)
        except flyte.errors.OOMError as e:
            print(f"Failed with OOM Again giving up: {e}, of type {type(e)}, {e.code}")
            raise e
    finally:
        await always_succeeds()

    return await always_succeeds()


@env.task
async def oomer_always(x: int):
    raise MemoryError(f"Unable to allocate for x={x}")

@env.task
async def main_gives_up() -> int:
    try:
        await oomer_always(2)
    except flyte.errors.OOMError as e:
        print(f"Failed with oom trying with more resources: {e}, of type {type(e)}, {e.code}")
        try:
            await oomer_always.override(resources=flyte.Resources(cpu=1, memory="1Gi"))(5)
        except flyte.errors.OOMError as e:
            print(f"Failed with OOM Again giving up: {e}, of type {type(e)}, {e.code}")
            raise e
    finally:
        await always_succeeds()

    return await always_succeeds()
