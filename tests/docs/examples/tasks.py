"""Seed 003, "Tasks": every snippet of the page, in one program.

Fragments completed minimally: ``fetch_data`` returns a dict instead of ``...`` and
``transform`` (used by ``process_data``) is a plain helper. The CLI form of the page is
``flyte run tests/docs/examples/tasks.py greet --name World``.
"""

import flyte

env = flyte.TaskEnvironment(name="my_env")


@env.task
def greet(name: str) -> str:
    return f"Hello, {name}!"


@env.task
def process_numbers(values: list[int]) -> int:
    return sum(values)


def transform(data: dict) -> str:
    # Not on the page: the helper `process_data` calls.
    return f"{data['url']} -> {len(data['rows'])} rows"


@env.task
def fetch_data(url: str) -> dict:
    # Runs in container 1
    return {"url": url, "rows": [1, 2, 3]}


@env.task
def process_data(url: str) -> str:
    data = fetch_data(url)  # Calls fetch_data, runs in container 2
    return transform(data)


@env.task
def step_one(x: int) -> int:
    return x * 2


@env.task
def step_two(x: int) -> int:
    return x + 10


@env.task
def pipeline(x: int) -> int:
    a = step_one(x)   # Run step_one
    b = step_two(a)   # Run step_two with result
    return b


def run_locally() -> str:
    # "Running tasks locally"
    # Direct call - runs locally, not in a container
    result = greet("World")
    print(result)  # "Hello, World!"
    return result


if __name__ == "__main__":
    # "Running tasks remotely"
    flyte.init_from_config()
    result = flyte.run(greet, name="World")
    print(result)  # "Hello, World!"
