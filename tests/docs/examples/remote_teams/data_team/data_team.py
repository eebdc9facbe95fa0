"""A deployed team's environment for the remote-tasks page's basic usage: `spark_analyzer` returns a
pandas DataFrame, which a caller without this code receives as `flyte.io.DataFrame`."""

import pandas as pd

import flyte

env = flyte.TaskEnvironment(name="data_team")


@env.task
async def spark_analyzer(input_path: str) -> pd.DataFrame:
    print(f"analyzing {input_path}")
    return pd.DataFrame({"path": [input_path, input_path], "value": [1.5, 2.5]})
