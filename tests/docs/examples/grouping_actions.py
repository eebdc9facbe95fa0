"""Page "Grouping actions": every example of the page (grouping.py).

Not on the page, completing its fragments: the tasks ``process_data``/``process_item`` the
examples call, ``task_a``/``task_b``/``task_c`` with the ``how_groups_work`` task around the
first snippet, and ``truly_nested_groups`` (the page's "Nested groups" example puts its groups
side by side; this one really nests ``flyte.group`` blocks).
"""

import asyncio

import flyte

env = flyte.TaskEnvironment("grouping")


@env.task
async def process_data(data: str, operation: str) -> str:
    return f"{data}|{operation}"


@env.task
async def process_item(item: int, operation: str) -> int:
    return {"preprocess": item + 1, "transform": item * 2, "postprocess": item * 10}.get(operation, item)


@env.task
async def task_a(data: str) -> str:
    return f"a({data})"


@env.task
async def task_b(data: str) -> str:
    return f"b({data})"


@env.task
async def task_c(data: str) -> str:
    return f"c({data})"


# --- How groups work ----------------------------------------------------------------------
@env.task
async def how_groups_work(data: str) -> list[str]:
    with flyte.group("my-group-name"):
        # All task invocations here belong to "my-group-name"
        result1 = await task_a(data)
        result2 = await task_b(data)
        result3 = await task_c(data)
    return [result1, result2, result3]


# --- Sequential operations ----------------------------------------------------------------
@env.task
async def data_pipeline(raw_data: str) -> str:
    with flyte.group("data-validation"):
        validated_data = await process_data(raw_data, "validate_schema")
        validated_data = await process_data(validated_data, "check_quality")
        validated_data = await process_data(validated_data, "remove_duplicates")

    with flyte.group("feature-engineering"):
        features = await process_data(validated_data, "extract_features")
        features = await process_data(features, "normalize_features")
        features = await process_data(features, "select_features")

    with flyte.group("model-training"):
        model = await process_data(features, "train_model")
        model = await process_data(model, "validate_model")
        final_model = await process_data(model, "save_model")

    return final_model


# --- Parallel processing with groups ------------------------------------------------------
@env.task
async def parallel_processing_example(n: int) -> str:
    tasks = []

    with flyte.group("parallel-processing"):
        # Collect all task invocations first
        for i in range(n):
            tasks.append(process_item(i, "transform"))

        # Execute all tasks in parallel
        results = await asyncio.gather(*tasks)

    # Convert to string for consistent return type
    return f"parallel_results: {results}"


# --- Multi-phase workflows ----------------------------------------------------------------
@env.task
async def multi_phase_workflow(data_size: int) -> str:
    # First phase: data preprocessing
    preprocessed = []
    with flyte.group("preprocessing"):
        for i in range(data_size):
            preprocessed.append(process_item(i, "preprocess"))
        phase1_results = await asyncio.gather(*preprocessed)

    # Second phase: main processing
    processed = []
    with flyte.group("main-processing"):
        for result in phase1_results:
            processed.append(process_item(result, "transform"))
        phase2_results = await asyncio.gather(*processed)

    # Third phase: postprocessing
    postprocessed = []
    with flyte.group("postprocessing"):
        for result in phase2_results:
            postprocessed.append(process_item(result, "postprocess"))
        final_results = await asyncio.gather(*postprocessed)

    # Convert to string for consistent return type
    return f"multi_phase_results: {final_results}"


# --- Nested groups ------------------------------------------------------------------------
@env.task
async def hierarchical_example(raw_data: str) -> str:
    with flyte.group("data-preparation"):
        cleaned_data = await process_data(raw_data, "clean_data")
        split_data = await process_data(cleaned_data, "split_dataset")

    with flyte.group("hyperparameter-tuning"):
        best_params = await process_data(split_data, "tune_hyperparameters")

    with flyte.group("model-training"):
        model = await process_data(best_params, "train_final_model")
    return model


# --- Conditional grouping -----------------------------------------------------------------
@env.task
async def conditional_processing(use_advanced_features: bool, input_data: str) -> str:
    base_result = await process_data(input_data, "basic_processing")

    if use_advanced_features:
        with flyte.group("advanced-features"):
            enhanced_result = await process_data(base_result, "advanced_processing")
            optimized_result = await process_data(enhanced_result, "optimize_result")
            return optimized_result
    else:
        with flyte.group("basic-features"):
            simple_result = await process_data(base_result, "simple_processing")
            return simple_result


# --- Not on the page: groups nested inside groups -----------------------------------------
@env.task
async def truly_nested_groups(raw_data: str) -> str:
    with flyte.group("training"):
        prepared = await process_data(raw_data, "prepare")
        with flyte.group("tuning"):
            tuned = await process_data(prepared, "tune")
            with flyte.group("trial-1"):
                tuned = await process_data(tuned, "trial")
        final = await process_data(tuned, "train")
    return await process_data(final, "publish")
