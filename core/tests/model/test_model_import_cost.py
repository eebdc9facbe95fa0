import json
import subprocess
import sys

import pytest

MODULES = [
    "flyte._model.resources",
    "flyte._model.image",
    "flyte._model.cache",
    "flyte._model.retry",
    "flyte._model.timeout",
    "flyte._model.secret",
    "flyte._model.platform",
    "flyte._model.link",
    "flyte._model.durations",
]
HEAVY = ["google.protobuf", "flyteidl2", "pydantic", "cloudpickle", "msgpack", "click", "asyncio", "sqlite3"]


@pytest.mark.subprocess
def test_configuration_modules_import_only_the_standard_library():
    code = (
        "import json, sys\n"
        + "".join(f"import {m}\n" for m in MODULES)
        + f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []
