"""Page "Other features", "Invoking Async Functions from Sync Tasks".

Importing this module applies ``nest_asyncio`` to the whole process (that is the point of the
example), so the tests import it only in a subprocess.
"""

import asyncio

import nest_asyncio

import flyte

env = flyte.TaskEnvironment(
    "async_in_sync",
    image=flyte.Image.from_debian_base().with_pip_packages("nest_asyncio"),
)

# Apply at module level
nest_asyncio.apply()

async def async_function() -> str:
    await asyncio.sleep(1)
    return "done"

@env.task
def sync_task() -> str:
    # Now you can use asyncio.run() in a sync task
    return asyncio.run(async_function())
