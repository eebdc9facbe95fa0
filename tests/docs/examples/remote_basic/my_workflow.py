"""The remote-tasks page's basic usage: a task calling the deployed `data_team.spark_analyzer`
(deploy remote_teams/data_team first), run with
`flyte run my_workflow.py my_task --data_path s3://my-bucket/data.parquet`."""

import flyte
import flyte.io
import flyte.remote

env = flyte.TaskEnvironment(name="my_env")

# Get the latest version of a deployed task
data_processor = flyte.remote.Task.get(
    "data_team.spark_analyzer",
    auto_version="latest"
)

# Use it in your task
@env.task
async def my_task(data_path: str) -> flyte.io.DataFrame:
    # Call the reference task like any other task
    result = await data_processor(input_path=data_path)
    return result
