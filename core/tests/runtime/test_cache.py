from __future__ import annotations

import asyncio
import logging
import sqlite3

import pytest

import flyte
from flyte._runtime.journal import journal
from flyte.models import ActionPhase

calls: list[tuple] = []


def make_env() -> flyte.TaskEnvironment:
    return flyte.TaskEnvironment("cache-env")


env = make_env()


@env.task(cache="auto")
async def square(x: int) -> int:
    calls.append(("square", x))
    return x * x


@env.task
async def fan(n: int) -> list[int]:
    return list(await asyncio.gather(*(square(i) for i in range(n))))


def cache_hits(run) -> list[int]:
    return [a.record.cache_hit for a in run.actions() if a.task_name == "cache-env.square"]


def test_second_run_executes_nothing_and_journal_shows_hits():
    calls.clear()
    first = flyte.run(fan, 5)
    assert first.outputs() == [0, 1, 4, 9, 16]
    assert len(calls) == 5 and cache_hits(first) == [0] * 5
    calls.clear()
    second = flyte.run(fan, 5)
    assert second.outputs() == [0, 1, 4, 9, 16]
    assert calls == []
    assert cache_hits(second) == [1] * 5
    assert all(a.phase == ActionPhase.SUCCEEDED for a in second.actions())
    # a cached root task: the whole run is one cache hit
    root_env = flyte.TaskEnvironment("cache-root", cache="auto")

    @root_env.task
    async def whole(x: int) -> int:
        calls.append(("whole", x))
        return x + 1

    flyte.run(whole, 1)
    again = flyte.run(whole, 1)
    assert calls.count(("whole", 1)) == 1 and again.outputs() == 2 and again.actions()[0].record.cache_hit == 1


def test_changing_the_body_invalidates_and_version_override_keeps():
    calls.clear()
    e = flyte.TaskEnvironment("versions")

    @e.task(cache="auto")
    async def compute(x: int) -> int:
        calls.append("v1")
        return x

    flyte.run(compute, 1)
    flyte.run(compute, 1)
    assert calls == ["v1"]

    @e.task(cache="auto")
    async def compute(x: int) -> int:
        calls.append("v2")
        return x + 100

    assert flyte.run(compute, 1).outputs() == 101
    assert calls == ["v1", "v2"]

    @e.task(cache=flyte.Cache("auto", version_override="v"))
    async def pinned(x: int) -> int:
        calls.append("p1")
        return x

    flyte.run(pinned, 1)

    @e.task(cache=flyte.Cache("auto", version_override="v"))
    async def pinned(x: int) -> int:
        calls.append("p2")
        return x * 1000

    assert flyte.run(pinned, 1).outputs() == 1  # same version: the earlier result is reused
    assert calls.count("p1") == 1 and "p2" not in calls


def test_ignored_inputs_and_custom_context_are_not_part_of_the_key():
    calls.clear()
    e = flyte.TaskEnvironment("ignored")

    @e.task(cache=flyte.Cache("auto", ignored_inputs=("verbose",)))
    async def work(x: int, verbose: bool = False) -> int:
        calls.append((x, verbose))
        return x

    flyte.run(work, 1, verbose=False)
    flyte.with_runcontext(custom_context={"trace": "t1"}).run(work, 1, verbose=True)
    flyte.run(work, 2, verbose=True)
    assert calls == [(1, False), (2, True)]
    with pytest.raises(ValueError, match="not inputs"):

        @e.task(cache=flyte.Cache("auto", ignored_inputs=("nope",)))
        async def bad(x: int) -> int:
            return x


def test_override_recomputes_and_replaces_and_run_level_bypass():
    calls.clear()
    e = flyte.TaskEnvironment("override")
    state = {"value": 1}

    @e.task(cache="auto")
    async def read(key: str) -> int:
        calls.append(key)
        return state["value"]

    assert flyte.run(read, "k").outputs() == 1
    state["value"] = 2
    assert flyte.run(read, "k").outputs() == 1  # cached
    assert flyte.run(read.override(cache="override"), "k").outputs() == 2  # recomputed and replaced
    assert flyte.run(read, "k").outputs() == 2
    state["value"] = 3
    assert flyte.with_runcontext(disable_run_cache=True).run(read, "k").outputs() == 3  # bypassed
    assert flyte.run(read, "k").outputs() == 2  # bypass wrote nothing
    assert flyte.with_runcontext(overwrite_cache=True).run(read, "k").outputs() == 3
    assert flyte.run(read, "k").outputs() == 3
    assert calls == ["k", "k", "k", "k"]


serial_env = flyte.TaskEnvironment("serial")
serial_calls: list[int] = []


@serial_env.task(cache=flyte.Cache("auto", serialize=True))
async def expensive(x: int) -> int:
    serial_calls.append(x)
    await asyncio.sleep(0.2)
    return x * 10


@serial_env.task
async def ten_at_once(x: int) -> list[int]:
    return list(await asyncio.gather(*(expensive(x) for _ in range(10))))


def test_serialize_runs_concurrent_identical_calls_once():
    serial_calls.clear()
    run = flyte.run(ten_at_once, 4)
    assert run.outputs() == [40] * 10
    assert serial_calls == [4]
    hits = [a.record.cache_hit for a in run.actions() if a.task_name == "serial.expensive"]
    assert sorted(hits) == [0] + [1] * 9


def test_corrupt_cache_entry_is_a_reported_miss(caplog):
    calls.clear()
    flyte.run(square, 7)
    j = journal()
    j.flush()
    conn = sqlite3.connect(j.path)
    conn.execute("UPDATE cache SET outputs = ? WHERE task_name = 'cache-env.square'", (b"\xff\x00garbage",))
    conn.commit()
    conn.close()
    with caplog.at_level(logging.WARNING, logger="flyte"):
        run = flyte.run(square, 7)
    assert run.outputs() == 49 and calls == [("square", 7), ("square", 7)]
    assert any("corrupt" in r.getMessage() and "cache-env.square" in r.getMessage() for r in caplog.records)
    assert flyte.run(square, 7).outputs() == 49 and len(calls) == 2  # the entry was rewritten


def test_list_and_clear_cache_entries():
    calls.clear()
    flyte.run(fan, 3)
    from flyte.remote import clear_cache, list_cache

    entries = list_cache("cache-env.square")
    assert len(entries) == 3 and {e.task_name for e in entries} == {"cache-env.square"}
    assert clear_cache("cache-env.square") == 3
    assert list_cache() == []
    flyte.run(fan, 3)
    assert len(calls) == 6


def test_cache_hit_keeps_custom_context_out_and_survives_processes(tmp_path, flyte_home):
    import os
    import subprocess
    import sys
    import textwrap

    program = tmp_path / "prog.py"
    program.write_text(
        textwrap.dedent(
            """
            import sys
            import flyte
            env = flyte.TaskEnvironment("xproc")

            @env.task(cache="auto")
            async def slow(x: int) -> int:
                print("computed", file=sys.stderr)
                return x * 2

            if __name__ == "__main__":
                print(flyte.run(slow, 21).outputs()[0])
            """
        )
    )
    env_vars = {**os.environ, "FLYTE_HOME": str(flyte_home)}
    outs = [subprocess.run([sys.executable, str(program)], capture_output=True, text=True, env=env_vars) for _ in range(2)]
    assert [o.stdout.strip() for o in outs] == ["42", "42"]
    assert [o.stderr.count("computed") for o in outs] == [1, 0]


# ----------------------------------------------------------------------------- the in-memory index
CACHE_SCRIPT = """
import sys
import flyte
from flyte._runtime.journal import journal

action = sys.argv[1]
if action == "clear":
    print(journal().clear_cache("cache-env.square"))
else:  # fill: the entry another process would have made (same task name, version and key)
    row = [a for a in journal().list_cache("cache-env.square")][0]
    from flyte._runtime.journal import CacheEntry
    j = journal()
    j.put_cache(CacheEntry(sys.argv[2], row.task_name, row.version, row.outputs, row.outputs_ref, row.created_at,
                           "other-process", "a0"))
    j.flush()
"""


def _other_process(tmp_path, flyte_home, *args: str) -> str:
    import os
    import subprocess
    import sys

    script = tmp_path / "other.py"
    script.write_text(CACHE_SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "FLYTE_HOME": str(flyte_home)},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_index_stays_loaded_across_runs_and_takes_this_process_s_entries():
    calls.clear()
    flyte.run(fan, 3)
    j = journal()
    (index,) = j._cache_indexes.values()
    assert len(index) == 3
    run = flyte.run(fan, 4)  # three hits from the loaded index, one new entry written into it
    assert cache_hits(run) == [1, 1, 1, 0] and len(calls) == 4
    assert list(j._cache_indexes.values()) == [index] and len(index) == 4  # the same index, kept current
    assert cache_hits(flyte.run(fan, 4)) == [1, 1, 1, 1] and len(calls) == 4


def test_a_cache_cleared_by_another_process_is_not_served_from_memory(tmp_path, flyte_home):
    calls.clear()
    flyte.run(fan, 2)
    assert cache_hits(flyte.run(fan, 2)) == [1, 1]
    journal().flush()
    assert _other_process(tmp_path, flyte_home, "clear") == "2"
    run = flyte.run(fan, 2)
    assert cache_hits(run) == [0, 0] and len(calls) == 4 and run.outputs() == [0, 1]


def test_entries_written_by_another_process_are_found_by_a_loaded_index(tmp_path, flyte_home):
    calls.clear()
    flyte.run(square, 5)  # loads this version's index (with its one entry)
    journal().flush()
    five = [e for e in journal().list_cache("cache-env.square")][0]
    # Another process writes the entry that square(6) would have (it copies square(5)'s outputs,
    # so a hit is recognisable by its value).
    six_key = five.key.replace(five.key.split(".")[0], _inputs_hash_of_square(6))
    _other_process(tmp_path, flyte_home, "fill", six_key)
    run = flyte.run(square, 6)
    assert run.outputs() == 25 and calls == [("square", 5)]  # served from the other process's entry


def _inputs_hash_of_square(x: int) -> str:
    from flyte._runtime import convert

    fields = convert.task_fields(square)[0]
    return convert.inputs_hash(fields.encode_positional((x,))[1])


def test_the_loaded_entries_a_process_keeps_are_bounded(monkeypatch):
    from flyte._runtime import journal as journal_module

    calls.clear()
    other = square.override(cache=flyte.Cache("auto", version_override="v2"))

    @env.task
    async def fan_other(n: int) -> list[int]:
        return list(await asyncio.gather(*(other(i) for i in range(n))))

    flyte.run(fan_other, 2)  # two entries of version v2
    j = journal()
    j.flush()
    with j._writer_lock:  # as a new process: nothing loaded
        j._drop_cache_indexes()
    flyte.run(fan, 3)  # three entries of the default version, loaded and kept
    monkeypatch.setattr(journal_module, "MAX_KEPT_CACHE_ENTRIES", 4)
    assert cache_hits(flyte.run(fan_other, 2)) == [1, 1]
    versions = [version.split("-")[0] for _, version in j._cache_indexes]
    assert versions == ["v2"]  # 3 kept + 2 loaded would pass 4: the default version was dropped
    assert len(calls) == 5
    assert cache_hits(flyte.run(fan, 3)) == [1, 1, 1]  # a dropped version is loaded again, not lost
