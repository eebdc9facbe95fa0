import dataclasses
import functools
import hashlib
import importlib.util
import itertools
import textwrap

import pytest

import flyte
from flyte._model.cache import (
    Cache,
    CachePolicy,
    FunctionBodyPolicy,
    VersionParameters,
    function_fingerprint,
    normalize_cache,
)

_counter = itertools.count()


def load_function(tmp_path, source, name="task_fn"):
    """Import `name` from a fresh module file holding `source` (so inspect.getsource works)."""
    module_name = f"_cache_case_{next(_counter)}"
    path = tmp_path / f"{module_name}.py"
    path.write_text(textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def exec_function(source, name="task_fn"):
    """Define a function from text without a file: no source available to inspect."""
    namespace: dict = {}
    exec(compile(textwrap.dedent(source), "<generated>", "exec"), namespace)
    return namespace[name]


BASE = """
def task_fn(x: int) -> int:
    y = x + 1
    return y * 2
"""

REFORMATTED = """


def task_fn(  x :int )->int:
    # a comment that does not change behaviour
    y = (x +
         1)   # trailing comment
    return y*2
"""

CHANGED = """
def task_fn(x: int) -> int:
    y = x + 2
    return y * 2
"""


def test_public_names():
    assert flyte.Cache is Cache and flyte.CachePolicy is CachePolicy


# ------------------------------------------------------------------ behavior


@pytest.mark.parametrize("value", ["auto", "AUTO", "enable", "enabled", "on", "true", "Yes"])
def test_auto_aliases(value):
    assert Cache(value).behavior == "auto"


@pytest.mark.parametrize("value", ["disable", "off", "false", "no", "none", "disabled", "Off"])
def test_disable_aliases(value):
    assert Cache(value).behavior == "disable"


def test_override():
    cache = Cache(behavior="override", version_override="v2", serialize=True)
    assert cache.is_enabled() and cache.serialize and cache.get_version() == "v2"


def test_bad_behavior_lists_accepted_values():
    with pytest.raises(ValueError) as info:
        Cache("sometimes")
    message = str(info.value)
    assert "'sometimes'" in message and "['auto', 'override', 'disable']" in message and "enabled" in message


def test_is_enabled():
    assert Cache("auto").is_enabled() and not Cache("disable").is_enabled()


def test_ignored_inputs_forms():
    assert Cache("auto", ignored_inputs="ts").ignored_inputs == ("ts",)
    assert Cache("auto", ignored_inputs=("a", "b")).get_ignored_inputs() == ("a", "b")
    assert Cache("auto", ignored_inputs=["a"]).ignored_inputs == ("a",)
    assert Cache("auto").ignored_inputs == ()


def test_frozen_and_equal():
    a = Cache("auto", ignored_inputs="x")
    assert a == Cache("enabled", ignored_inputs=("x",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.salt = "s"  # type: ignore[misc]


def test_validation_errors():
    with pytest.raises(ValueError, match="Cache version_override: got ''; expected a non-empty string or None"):
        Cache("override", version_override="")
    with pytest.raises(TypeError, match="Cache serialize: got str 'yes'; expected True or False"):
        Cache("auto", serialize="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Cache salt: got int 1; expected a string"):
        Cache("auto", salt=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Cache ignored_inputs: got int 3; expected a name or a tuple of names"):
        Cache("auto", ignored_inputs=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"Cache ignored_inputs: got '' among \('a', ''\)"):
        Cache("auto", ignored_inputs=("a", ""))
    with pytest.raises(TypeError, match="Cache policies: 'nope' has no get_version"):
        Cache("auto", policies="nope")
    with pytest.raises(ValueError, match="Cache policies: empty"):
        Cache("auto", policies=[])


def test_describe():
    assert Cache("auto").describe() == "cache auto"
    text = Cache("override", version_override="v1", serialize=True, ignored_inputs="ts", salt="s").describe()
    assert text == "cache override (version v1, serialize, ignoring: ts, salt 's')"


# ------------------------------------------------------------------ normalize_cache


def test_normalize_cache():
    assert normalize_cache(None).behavior == "disable"
    assert normalize_cache(None, default="auto").behavior == "auto"
    assert normalize_cache("auto").behavior == "auto"
    assert normalize_cache("enabled").behavior == "auto"
    assert normalize_cache(True).behavior == "auto"
    assert normalize_cache(False).behavior == "disable"
    cache = Cache("override", version_override="x")
    assert normalize_cache(cache) is cache
    with pytest.raises(TypeError, match=r"cache: got int 5; accepted: 'auto', 'override', 'disable'"):
        normalize_cache(5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Cache behavior: got 'maybe'"):
        normalize_cache("maybe")


# ------------------------------------------------------------------ versions


def test_version_stable_across_reformatting_and_comments(tmp_path):
    base = load_function(tmp_path, BASE)
    reformatted = load_function(tmp_path, REFORMATTED)
    cache = Cache("auto")
    assert cache.get_version(base) == cache.get_version(reformatted)
    assert len(cache.get_version(base)) == 64


def test_version_changes_with_the_body(tmp_path):
    cache = Cache("auto")
    assert cache.get_version(load_function(tmp_path, BASE)) != cache.get_version(load_function(tmp_path, CHANGED))


def test_version_changes_with_salt(tmp_path):
    fn = load_function(tmp_path, BASE)
    assert Cache("auto", salt="a").get_version(fn) != Cache("auto", salt="b").get_version(fn)
    assert Cache("auto").get_version(fn) == Cache("auto").get_version(fn)


def test_version_is_sha256_of_policy_versions_plus_salt(tmp_path):
    fn = load_function(tmp_path, BASE)
    policy_version = FunctionBodyPolicy().get_version("s", VersionParameters(func=fn))
    expected = hashlib.sha256((policy_version + "s").encode()).hexdigest()
    assert Cache("auto", salt="s").get_version(fn) == expected
    assert Cache("auto", salt="s").get_version(VersionParameters(func=fn)) == expected


def test_version_override_wins(tmp_path):
    fn = load_function(tmp_path, BASE)
    assert Cache("auto", version_override="pinned").get_version(fn) == "pinned"


def test_nested_function_source_is_dedented():
    def inner(a):
        return a + 1

    assert len(Cache("auto").get_version(inner)) == 64


def test_bytecode_fallback_without_source():
    same_a = exec_function(BASE)
    same_b = exec_function(REFORMATTED)
    other = exec_function(CHANGED)
    with pytest.raises(OSError):
        import inspect

        inspect.getsource(same_a)
    assert function_fingerprint(same_a).startswith("bytecode:")
    assert Cache("auto").get_version(same_a) == Cache("auto").get_version(same_b)
    assert Cache("auto").get_version(same_a) != Cache("auto").get_version(other)


def test_wrapped_functions_hash_the_original(tmp_path):
    fn = load_function(tmp_path, BASE)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)

    assert Cache("auto").get_version(wrapper) == Cache("auto").get_version(fn)


def test_callable_objects_and_lambdas():
    class Scorer:
        def __call__(self, x):
            return x * 3

    assert len(Cache("auto").get_version(Scorer())) == 64
    assert len(Cache("auto").get_version(lambda x: x)) == 64


def test_custom_policy_and_failures(tmp_path):
    class Fixed:
        def get_version(self, salt, params):
            return "fixed" + salt

    assert isinstance(Fixed(), CachePolicy)
    fn = load_function(tmp_path, BASE)
    assert Cache("auto", policies=Fixed()).get_version(fn) == hashlib.sha256(b"fixed").hexdigest()
    both = Cache("auto", policies=[Fixed(), FunctionBodyPolicy()])
    assert both.get_version(fn) != Cache("auto", policies=Fixed()).get_version(fn)

    class Broken:
        def get_version(self, salt, params):
            raise RuntimeError("git not found")

    with pytest.raises(ValueError, match="Cache policy .*Broken.* failed to compute a version: git not found"):
        Cache("auto", policies=Broken()).get_version(fn)

    class NotText:
        def get_version(self, salt, params):
            return 42

    with pytest.raises(ValueError, match="returned int 42; expected a string"):
        Cache("auto", policies=NotText()).get_version(fn)


def test_get_version_needs_a_function():
    with pytest.raises(ValueError, match="pass the task function"):
        Cache("auto").get_version()
