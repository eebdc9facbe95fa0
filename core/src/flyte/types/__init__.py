"""The type engine: converts Python values to Flyte literals (`flyteidl2` protobufs) and back.

Every task input and output crosses a task boundary as a `flyteidl2.core.literals_pb2.Literal`.
`TypeEngine` picks a `TypeTransformer` per Python type; third-party packages add transformers
with `TypeEngine.register`, usually from an entry point in group `flyte.plugins.types`.

Sync vs async: `TypeTransformer.to_literal` / `to_python_value` and `TypeEngine.to_literal` /
`to_python_value` are coroutines. `TypeEngine.to_literal_sync` / `to_python_value_sync` are
their blocking twins. Everything else here is synchronous.
"""

from flyte.errors import TypeTransformerFailedError
from flyte.types import _builtins
from flyte.types._engine import TypeEngine
from flyte.types._plugins import load_type_plugins, set_plugin_autoload
from flyte.types._text import parse_text
from flyte.types._transformer import TypeTransformer

# Built-in transformers are registered once, when `flyte.types` is first imported.
_builtins.register_builtins()

__all__ = [
    "TypeEngine",
    "TypeTransformer",
    "TypeTransformerFailedError",
    "load_type_plugins",
    "parse_text",
    "set_plugin_autoload",
]
