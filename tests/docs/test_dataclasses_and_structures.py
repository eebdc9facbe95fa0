"""Page "Data classes and structures": dataclasses and Pydantic models as materialized types."""

from __future__ import annotations

import dataclasses

import flyte
from flyte.models import ActionPhase

from ._support import actions_named, summary
from .examples import dataclasses_and_structures as ex


def test_main_combines_dataclasses_and_pydantic():
    run = flyte.run(ex.main)
    # predictions: 2*1+3*2+1 = 9, 2*3+3*4+1 = 19, 2*5+3*6+1 = 29 -> average 19
    expected = "Batch demo_batch_001: Processed 3 predictions, average value: 19.00"
    assert run.outputs() == expected
    assert run.outputs()[0] == expected
    assert run.phase == ActionPhase.SUCCEEDED
    assert summary(run) == [
        ("main", "succeeded", []),
        ("process_batch", "succeeded", []),
        ("predict_one", "succeeded", []),
        ("predict_one", "succeeded", []),
        ("predict_one", "succeeded", []),
        ("summarize_results", "succeeded", []),
    ]
    # the three predictions were children of process_batch (the concurrent fan-out)
    batch = actions_named(run, "process_batch")[0]
    assert {a.parent for a in actions_named(run, "predict_one")} == {batch.name}


def test_process_batch_returns_the_pydantic_model():
    batch = ex.BatchRequest(
        requests=[ex.InferenceRequest(feature_a=1.0, feature_b=2.0), ex.InferenceRequest(feature_a=0.0, feature_b=0.0)],
        batch_id="b-2",
    )
    run = flyte.run(ex.process_batch, batch)
    summary_out = run.outputs()[0]
    assert isinstance(summary_out, ex.PredictionSummary)
    assert summary_out == ex.PredictionSummary(predictions=[9.0, 1.0], average=5.0, count=2, batch_id="b-2")
    # the dataclass input was journaled whole; read back (typed from its schema) it has the same fields
    journaled = run.inputs()["batch"]
    assert dataclasses.asdict(journaled) == dataclasses.asdict(batch)


def test_default_field_and_empty_batch():
    run = flyte.run(ex.process_batch, ex.BatchRequest(requests=[]))
    assert run.outputs() == ex.PredictionSummary(predictions=[], average=0.0, count=0, batch_id="default")
    assert summary(run) == [("process_batch", "succeeded", [])]


def test_summarize_results_takes_the_pydantic_model():
    s = ex.PredictionSummary(predictions=[1.0, 2.0], average=1.5, count=2, batch_id="x")
    assert flyte.run(ex.summarize_results, s).outputs() == "Batch x: Processed 2 predictions, average value: 1.50"
