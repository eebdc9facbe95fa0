"""Page "Custom context": the run-level example, the override example, and the fragments.

The two docs programs share one environment here (the override snippet uses the page's
``env``). ``add_keys``/``some_task`` and ``read_timeout`` complete the "Adding new keys" and
"Accessing custom context" fragments.
"""

import flyte

env = flyte.TaskEnvironment("custom-context-example")


# --- Run-level context (run_context.py) ---------------------------------------------------
@env.task
async def leaf_task() -> str:
    # Reads run-level context
    print("leaf sees:", flyte.ctx().custom_context)
    return flyte.ctx().custom_context.get("trace_id")

@env.task
async def root() -> str:
    return await leaf_task()


# --- Overriding inside a task (override_context.py) ---------------------------------------
@env.task
async def downstream() -> str:
    print("downstream sees:", flyte.ctx().custom_context)
    return flyte.ctx().custom_context.get("trace_id")

@env.task
async def parent() -> str:
    print("parent initial:", flyte.ctx().custom_context)

    # Override the trace_id for the nested call(s)
    with flyte.custom_context(trace_id="child-override"):
        val = await downstream()     # downstream sees trace_id="child-override"

    # After the context block, run-level values are back
    print("parent after:", flyte.ctx().custom_context)
    return val


# --- Adding new keys for nested tasks (fragment, completed) -------------------------------
@env.task
async def some_task() -> dict[str, str]:
    print("some_task sees:", flyte.ctx().custom_context)
    return dict(flyte.ctx().custom_context)

@env.task
async def add_keys() -> dict[str, str]:
    with flyte.custom_context(experiment="exp-blue", run_group="g-7"):
        seen = await some_task()   # some_task sees both base keys + the new keys
    return seen


# --- Accessing custom context (fragment, completed) ---------------------------------------
@env.task
async def read_timeout() -> int:
    ctx = flyte.ctx().custom_context
    value = ctx.get("key")
    assert flyte.get_custom_context() == ctx  # the shorthand returns the same key/value pairs
    print("key:", value)
    timeout = int(ctx["timeout_seconds"])
    return timeout


if __name__ == "__main__":
    flyte.init_from_config()
    # Base context for the entire run
    flyte.with_runcontext(custom_context={"trace_id": "root-abc", "experiment": "v1"}).run(root)
