"""Task caching configuration and cache versions.

A cache entry is keyed by the task, its interface, its inputs (minus ``ignored_inputs``) and a
*cache version*. The version is ``version_override`` when given, else a hash of what the cache
policies report; the default policy, :class:`FunctionBodyPolicy`, hashes the function's source
as a syntax tree, so reformatting and comments do not change it but any change to the code does.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import textwrap
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Optional, Protocol, Union, get_args, runtime_checkable

__all__ = [
    "Cache",
    "CacheBehavior",
    "CachePolicy",
    "CacheRequest",
    "FunctionBodyPolicy",
    "VersionParameters",
    "normalize_cache",
]

CacheBehavior = Literal["auto", "override", "disable"]
_BEHAVIORS: tuple[str, ...] = get_args(CacheBehavior)

_ALIASES: dict[str, str] = {
    "enable": "auto",
    "enabled": "auto",
    "on": "auto",
    "true": "auto",
    "yes": "auto",
    "off": "disable",
    "false": "disable",
    "no": "disable",
    "none": "disable",
    "disabled": "disable",
}


@dataclass(frozen=True)
class VersionParameters:
    """What a cache policy may look at to compute a version.

    Args:
        func: The task's function.
        image: The task's image (a URI string or ``flyte.Image``), when known.
    """

    func: Optional[Callable[..., Any]]
    image: Any = None


@runtime_checkable
class CachePolicy(Protocol):
    """Computes a cache version; implement ``get_version`` to version caches your way.

    Example::

        class GitCommitPolicy:
            def get_version(self, salt: str, params: VersionParameters) -> str:
                return salt + subprocess.check_output(["git", "rev-parse", "HEAD"], text=True).strip()
    """

    def get_version(self, salt: str, params: VersionParameters) -> str: ...


def _code_fingerprint(code: types.CodeType, hasher: Any) -> None:
    hasher.update(code.co_code)
    hasher.update(repr(code.co_names).encode())
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _code_fingerprint(const, hasher)
        else:
            hasher.update(repr(const).encode())


def _source_fingerprint(func: Any) -> Optional[str]:
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError):
        return None
    source = textwrap.dedent(source)
    try:
        return ast.dump(ast.parse(source), annotate_fields=True, include_attributes=False)
    except SyntaxError:
        # e.g. a lambda whose getsource() slice is not a complete statement
        return "\n".join(line.rstrip() for line in source.splitlines() if line.strip())


def function_fingerprint(func: Callable[..., Any]) -> str:
    """A stable description of what ``func`` does, for hashing.

    The syntax tree of its source (so formatting and comments don't matter); when the source is
    unavailable, its bytecode, names and constants; for callables without code, the qualified name.
    """
    target = inspect.unwrap(func) if callable(func) else func
    text = _source_fingerprint(target)
    if text is not None:
        return text
    code = getattr(target, "__code__", None)
    if code is None and callable(target):
        code = getattr(type(target).__call__, "__code__", None)
    if isinstance(code, types.CodeType):
        hasher = hashlib.sha256()
        _code_fingerprint(code, hasher)
        return "bytecode:" + hasher.hexdigest()
    return f"name:{getattr(target, '__module__', '')}.{getattr(target, '__qualname__', type(target).__qualname__)}"


@dataclass(frozen=True)
class FunctionBodyPolicy:
    """The default policy: sha256 of the function's source syntax tree plus the salt."""

    def get_version(self, salt: str, params: VersionParameters) -> str:
        if params.func is None:
            raise ValueError("FunctionBodyPolicy needs the task function (VersionParameters.func is None)")
        return hashlib.sha256((function_fingerprint(params.func) + salt).encode("utf-8")).hexdigest()


def _behavior(value: Any) -> str:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _BEHAVIORS:
            return lowered
        if lowered in _ALIASES:
            return _ALIASES[lowered]
    raise ValueError(
        f"Cache behavior: got {value!r}; accepted: {list(_BEHAVIORS)} (aliases: {', '.join(sorted(_ALIASES))})"
    )


@dataclass(frozen=True)
class Cache:
    """How a task's results are cached.

    Args:
        behavior: ``"auto"`` (version from the policies, by default the function body),
            ``"override"`` (version from ``version_override``) or ``"disable"``. Aliases:
            enable/enabled/on/true/yes mean auto; off/false/no/none/disabled mean disable.
        version_override: An explicit cache version; used whenever set.
        serialize: When ``True``, concurrent calls with identical inputs compute once and share
            the result.
        ignored_inputs: Input names left out of the cache key (a name or a tuple of names).
        salt: Extra text mixed into the version, e.g. to start a fresh cache namespace.
        policies: One :class:`CachePolicy` or a list; default ``[FunctionBodyPolicy()]``.
    """

    behavior: CacheBehavior
    version_override: Optional[str] = None
    serialize: bool = False
    ignored_inputs: Union[tuple[str, ...], str] = ()
    salt: str = ""
    policies: Any = field(default=None)

    def __post_init__(self) -> None:
        object.__setattr__(self, "behavior", _behavior(self.behavior))
        if self.version_override is not None and (
            not isinstance(self.version_override, str) or not self.version_override.strip()
        ):
            raise ValueError(
                f"Cache version_override: got {self.version_override!r}; expected a non-empty string or None"
            )
        if not isinstance(self.serialize, bool):
            raise TypeError(
                f"Cache serialize: got {type(self.serialize).__name__} {self.serialize!r}; expected True or False"
            )
        if not isinstance(self.salt, str):
            raise TypeError(f"Cache salt: got {type(self.salt).__name__} {self.salt!r}; expected a string")
        ignored = self.ignored_inputs
        names = (ignored,) if isinstance(ignored, str) else ignored
        if not isinstance(names, (tuple, list, set, frozenset)):
            raise TypeError(
                f"Cache ignored_inputs: got {type(ignored).__name__} {ignored!r}; expected a name or a tuple of names"
            )
        for name in names:
            if not isinstance(name, str) or not name.strip():
                raise ValueError(
                    f"Cache ignored_inputs: got {name!r} among {ignored!r}; expected non-empty input names"
                )
        object.__setattr__(self, "ignored_inputs", tuple(names))
        policies = self.policies
        if policies is None:
            policies = (FunctionBodyPolicy(),)
        elif not isinstance(policies, (list, tuple)):
            policies = (policies,)
        for policy in policies:
            if not callable(getattr(policy, "get_version", None)):
                raise TypeError(
                    f"Cache policies: {policy!r} has no get_version(salt, params) method; "
                    f"a cache policy implements flyte.CachePolicy"
                )
        if not policies and self.version_override is None and self.behavior != "disable":
            raise ValueError("Cache policies: empty; give at least one policy or a version_override")
        object.__setattr__(self, "policies", tuple(policies))

    def is_enabled(self) -> bool:
        """``True`` for ``auto`` and ``override``."""
        return self.behavior != "disable"

    def get_ignored_inputs(self) -> tuple[str, ...]:
        """The input names excluded from the cache key."""
        ignored = self.ignored_inputs
        return ignored if isinstance(ignored, tuple) else (ignored,)

    def get_version(self, func: Union[Callable[..., Any], VersionParameters, None] = None) -> str:
        """The cache version for ``func`` (a function or :class:`VersionParameters`).

        ``version_override`` when set; otherwise the sha256 hex digest of the policies' versions
        followed by the salt. Computed whatever the behavior; callers consult it only when the
        cache is enabled.

        Raises:
            ValueError: no override and no function given, or a policy failed (the policy is named).
        """
        if self.version_override is not None:
            return self.version_override
        params = func if isinstance(func, VersionParameters) else VersionParameters(func=func)
        if params.func is None:
            raise ValueError("Cache.get_version: pass the task function (no version_override is set)")
        versions = []
        for policy in self.policies:
            try:
                version = policy.get_version(self.salt, params)
            except Exception as exc:
                raise ValueError(f"Cache policy {policy!r} failed to compute a version: {exc}") from exc
            if not isinstance(version, str):
                raise ValueError(
                    f"Cache policy {policy!r} returned {type(version).__name__} {version!r}; expected a string"
                )
            versions.append(version)
        return hashlib.sha256(("".join(versions) + self.salt).encode("utf-8")).hexdigest()

    def describe(self) -> str:
        """One line such as ``cache auto (serialize, ignoring: ts)``."""
        extras = []
        if self.version_override is not None:
            extras.append(f"version {self.version_override}")
        if self.serialize:
            extras.append("serialize")
        if self.ignored_inputs:
            extras.append(f"ignoring: {', '.join(self.ignored_inputs)}")
        if self.salt:
            extras.append(f"salt {self.salt!r}")
        return f"cache {self.behavior}" + (f" ({', '.join(extras)})" if extras else "")


CacheRequest = Union[CacheBehavior, Cache]


def normalize_cache(value: Union[str, bool, Cache, None], default: str = "disable") -> Cache:
    """Turn a ``cache=`` argument into a :class:`Cache`.

    ``None`` gives ``Cache(default)``; a behavior string (aliases included) or a bool
    (``True`` -> auto, ``False`` -> disable) gives ``Cache(behavior)``; a Cache is returned as is.
    """
    if value is None:
        return Cache(behavior=default)  # type: ignore[arg-type]
    if isinstance(value, Cache):
        return value
    if isinstance(value, bool):
        return Cache(behavior="auto" if value else "disable")
    if isinstance(value, str):
        return Cache(behavior=value)  # type: ignore[arg-type]
    raise TypeError(
        f"cache: got {type(value).__name__} {value!r}; accepted: 'auto', 'override', 'disable' "
        f"(or an alias such as 'enabled'/'off'), True/False, or flyte.Cache(...)"
    )
