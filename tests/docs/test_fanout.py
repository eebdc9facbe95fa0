"""Page "Fanout": collect task invocations and run them in parallel with asyncio.gather."""

from __future__ import annotations

import flyte
from flyte.models import ActionPhase

from ._support import actions_named, max_overlap
from .examples import fanout as ex


def _user(i: int) -> dict:
    return {"user_id": i, "name": f"User_{i}", "score": i * 10, "data": f"fetched_data_{i}"}


def test_parallel_data_fetching():
    user_ids = [1, 2, 3, 4, 5]
    r = flyte.run(ex.parallel_data_fetching, user_ids)
    assert r.outputs() == [_user(i) for i in user_ids]
    assert r.phase == ActionPhase.SUCCEEDED
    # one action per task invocation, all children of the driver task
    fetches = actions_named(r, "fetch_data")
    assert len(fetches) == 5
    assert all(a.phase == ActionPhase.SUCCEEDED and a.parent == r.actions()[0].name for a in fetches)
    # they ran concurrently: all five 0.1 s fetches were running at the same moment
    assert max_overlap(fetches) == 5


def test_gather_three():
    # results = await asyncio.gather(fetch_data(1), fetch_data(2), fetch_data(3))
    r = flyte.run(ex.gather_three)
    assert r.outputs() == [_user(1), _user(2), _user(3)]
    assert max_overlap(actions_named(r, "fetch_data")) == 3


def test_each_action_records_its_own_inputs_and_outputs():
    r = flyte.run(ex.parallel_data_fetching, [7, 8])
    fetches = actions_named(r, "fetch_data")
    assert len({a.name for a in fetches}) == 2
    assert all(a.attempts == 1 for a in fetches)
    assert r.inputs() == {"user_ids": [7, 8]}
