"""The run page's tree model on real runs: folders per group, aggregated status, paging, opening the way
to an action."""

from __future__ import annotations

import asyncio
import re

import pytest

import flyte
from flyte._runtime.journal import journal
from flyte.ui._html import AUTO_OPEN_ITEMS, PAGE_SIZE, TreeRenderer, TreeState
from flyte.ui._tree import Folder, RunTree, aggregate_status

env = flyte.TaskEnvironment("ui_tree")


@env.task
async def leaf(i: int) -> int:
    if i < 0:
        raise ValueError("negative")
    return i


@env.task
async def middle(n: int) -> int:
    with flyte.group("inner"):
        return sum(await asyncio.gather(*(leaf(i) for i in range(n))))


@env.task
async def shaped(n: int) -> int:
    total = await leaf(1)  # outside any group
    with flyte.group("a"):
        total += await leaf(2)
        with flyte.group("b"):
            total += await middle(2)
        total += await leaf(3)
    with flyte.group("wide"):
        total += sum(await asyncio.gather(*(leaf(i) for i in range(n))))
    with flyte.group("a"):  # the same group again, later: one folder
        total += await leaf(4)
    with flyte.group("bad"):
        results = await asyncio.gather(leaf(-1), leaf(5), return_exceptions=True)
    return total + sum(r for r in results if isinstance(r, int))


def tree_of(run) -> RunTree:
    return RunTree(journal().action_summaries(run.name))


def describe(tree: RunTree, items) -> list[str]:
    return [f"[{i.name}]" if isinstance(i, Folder) else i.short_name for i in items]


def test_groups_become_folders_inside_the_action_that_opened_them():
    run = flyte.run(shaped, 30)
    tree = tree_of(run)
    (root,) = tree.top
    assert root.short_name == "shaped"
    top = tree.items(root.action_id, ())
    assert describe(tree, top) == ["leaf", "[a]", "[wide]", "[bad]"]
    a = top[1]
    assert describe(tree, tree.child_items(a)) == ["leaf", "[b]", "leaf", "leaf"]
    b = tree.child_items(a)[1]
    (mid,) = tree.child_items(b)
    assert mid.short_name == "middle"
    # A task's own body starts outside its caller's groups: middle's leaves sit in middle's folder.
    (inner,) = tree.items(mid.action_id, ())
    assert inner.name == "inner" and inner.path == ("inner",) and tree.item_count(inner) == 2
    assert a.counts == {"succeeded": 4} and a.size == 4  # leaf 2, 3, 4 and middle (in b, inside a)
    assert tree.item_count(top[2]) == 30


def test_folder_status_aggregates_its_actions():
    run = flyte.run(shaped, 3)
    top = {i.name: i for i in tree_of(run).items(run.actions()[0].name, ()) if isinstance(i, Folder)}
    assert top["bad"].status == "failed" and top["bad"].counts == {"failed": 1, "succeeded": 1}
    assert top["a"].status == top["wide"].status == "succeeded"
    assert aggregate_status({"succeeded": 3, "running": 1}) == "running"
    assert aggregate_status({"running": 2, "timed_out": 1}) == "failed"
    assert aggregate_status({"succeeded": 3, "aborted": 1}) == "aborted"
    assert aggregate_status({"queued": 1}) == "running"
    assert aggregate_status({}) == "queued"


def test_renderer_pages_large_nodes_and_opens_small_ones():
    run = flyte.run(shaped, 2 * PAGE_SIZE + 7)
    tree = tree_of(run)
    html = TreeRenderer(tree, run.name, TreeState()).render()
    # the root and the small folders are open; "wide" has too many items to open by itself
    wide = re.search(r'<li class="node folder"[^>]*data-group="wide"[^>]*>', html).group(0)
    assert 'aria-expanded="false"' in wide
    assert 2 * PAGE_SIZE + 7 > AUTO_OPEN_ITEMS
    for name in ("a", "b", "bad"):
        assert re.search(rf'data-group="{name}"[^>]*aria-expanded="true"', html), name

    # Opened, it shows a page of items and a button for the rest.
    (root,) = tree.top
    wide_folder = next(i for i in tree.items(root.action_id, ()) if isinstance(i, Folder) and i.name == "wide")
    html = TreeRenderer(tree, run.name, TreeState(open={wide_folder.key: PAGE_SIZE})).render()
    assert html.count('data-name="leaf"') == 1 + 3 + PAGE_SIZE + 2 + 2  # the root's, a's, a page of wide's, bad's, inner's
    assert f"({PAGE_SIZE + 7:,} not shown of {2 * PAGE_SIZE + 7:,})" in html
    # A closed node stays closed even when small.
    a = next(i for i in tree.items(root.action_id, ()) if isinstance(i, Folder) and i.name == "a")
    html = TreeRenderer(tree, run.name, TreeState(closed={a.key})).render()
    assert re.search(r'data-group="a"[^>]*aria-expanded="false"', html)


def test_selecting_an_action_opens_the_way_to_it():
    run = flyte.run(shaped, 2 * PAGE_SIZE + 7)
    tree = tree_of(run)
    (root,) = tree.top
    wide = next(i for i in tree.items(root.action_id, ()) if isinstance(i, Folder) and i.name == "wide")
    target = tree.child_items(wide)[-1]
    assert tree.path_to(target.action_id) == [(root.key, 3), (wide.key, 2 * PAGE_SIZE + 7)]
    shown = f'data-action="{target.action_id}" data-phase="succeeded" data-name="leaf" aria-selected="true"'
    assert shown not in TreeRenderer(tree, run.name, TreeState(selected=target.action_id)).render()
    # Revealing the selected action opens the way to it, even through a folder the reader closed ...
    revealed = TreeState(selected=target.action_id, closed={wide.key}, reveal=True)
    assert shown in TreeRenderer(tree, run.name, revealed).render()
    # ... while later renders (live updates) keep it closed.
    assert shown not in TreeRenderer(tree, run.name, TreeState(selected=target.action_id, closed={wide.key})).render()
    # deep inside: the root, folder a, folder b, middle, its folder inner
    a = next(i for i in tree.items(root.action_id, ()) if isinstance(i, Folder) and i.name == "a")
    b = tree.child_items(a)[1]
    (mid,) = tree.child_items(b)
    (inner,) = tree.items(mid.action_id, ())
    deep = tree.child_items(inner)[1]
    assert [key for key, _ in tree.path_to(deep.action_id)] == [root.key, a.key, b.key, mid.key, inner.key]


@pytest.mark.parametrize("bad", [None, [], {"open": {"k": "x"}, "closed": "no", "selected": 3}])
def test_tree_state_from_untrusted_json(bad):
    state = TreeState.from_json(bad)
    assert state.open == {} and state.selected is None
