"""Page "Grouping actions": every pattern of the page; group paths are recorded per action."""

from __future__ import annotations

import pytest

import flyte
from flyte.models import ActionPhase

from ._support import summary
from .examples import grouping_actions as ex


def _groups(run) -> list[tuple[str, list[str]]]:
    return [(a.short_name, a.group) for a in run.actions()[1:]]


def test_how_groups_work():
    run = flyte.run(ex.how_groups_work, "data")
    assert run.outputs() == ["a(data)", "b(data)", "c(data)"]
    assert _groups(run) == [
        ("task_a", ["my-group-name"]),
        ("task_b", ["my-group-name"]),
        ("task_c", ["my-group-name"]),
    ]
    assert run.actions()[0].group == []  # the driver task itself is in no group


def test_sequential_operations():
    run = flyte.run(ex.data_pipeline, "raw")
    assert run.outputs() == (
        "raw|validate_schema|check_quality|remove_duplicates|extract_features|normalize_features"
        "|select_features|train_model|validate_model|save_model"
    )
    assert [g for _, g in _groups(run)] == (
        [["data-validation"]] * 3 + [["feature-engineering"]] * 3 + [["model-training"]] * 3
    )
    assert all(phase == "succeeded" for _, phase, _ in summary(run))


def test_parallel_processing_with_groups():
    run = flyte.run(ex.parallel_processing_example, 4)
    assert run.outputs() == "parallel_results: [0, 2, 4, 6]"  # groups do not aggregate outputs
    assert _groups(run) == [("process_item", ["parallel-processing"])] * 4


def test_multi_phase_workflow():
    run = flyte.run(ex.multi_phase_workflow, 3)
    # preprocess: i + 1 -> [1, 2, 3]; transform: * 2 -> [2, 4, 6]; postprocess: * 10
    assert run.outputs() == "multi_phase_results: [20, 40, 60]"
    assert [g for _, g in _groups(run)] == [["preprocessing"]] * 3 + [["main-processing"]] * 3 + [
        ["postprocessing"]
    ] * 3


def test_hierarchical_example():
    run = flyte.run(ex.hierarchical_example, "raw")
    assert run.outputs() == "raw|clean_data|split_dataset|tune_hyperparameters|train_final_model"
    assert [g for _, g in _groups(run)] == [
        ["data-preparation"],
        ["data-preparation"],
        ["hyperparameter-tuning"],
        ["model-training"],
    ]


@pytest.mark.parametrize(
    ("advanced", "output", "groups"),
    [
        (True, "in|basic_processing|advanced_processing|optimize_result", [[], ["advanced-features"], ["advanced-features"]]),
        (False, "in|basic_processing|simple_processing", [[], ["basic-features"]]),
    ],
)
def test_conditional_grouping(advanced, output, groups):
    run = flyte.run(ex.conditional_processing, advanced, "in")
    assert run.outputs() == output
    assert [g for _, g in _groups(run)] == groups


def test_nested_groups_record_the_whole_path():
    run = flyte.run(ex.truly_nested_groups, "r")
    assert run.outputs() == "r|prepare|tune|trial|train|publish"
    assert [g for _, g in _groups(run)] == [
        ["training"],
        ["training", "tuning"],
        ["training", "tuning", "trial-1"],
        ["training"],
        [],
    ]
    assert all(a.phase == ActionPhase.SUCCEEDED for a in run.actions())

