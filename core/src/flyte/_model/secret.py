"""Secrets a task (or an image build) asks for, and how they resolve on this machine.

Locally there is no secret store: a secret resolves from an environment variable of the
process that runs the task. The variable is ``as_env_var`` when given, otherwise a name derived
from the secret: ``<GROUP>_<KEY>`` (or ``<KEY>`` without a group), upper-cased, with every
character other than a letter, digit or underscore replaced by ``_``. So
``Secret("openai-api-key")`` reads ``OPENAI_API_KEY`` and ``Secret("token", group="github")``
reads ``GITHUB_TOKEN``. A missing variable resolves to ``None``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

__all__ = ["Secret", "SecretRequest", "SecretRequestLike", "env_var_name", "normalize_secrets"]

_ENV_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def env_var_name(text: str) -> str:
    """Derive an environment-variable name: upper-case, non ``[A-Z0-9_]`` characters become ``_``."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", text).upper()
    return f"_{name}" if name[:1].isdigit() else name


@dataclass(frozen=True)
class Secret:
    """A secret from the secret store, exposed to the task as an environment variable or a file.

    Args:
        key: The secret's name in the store.
        group: Optional group the secret belongs to (some stores organise secrets in groups).
        mount: Optional absolute path where the secret is mounted as a file (remote only).
        as_env_var: Environment variable holding the secret. Defaults to a name derived from
            ``group`` and ``key`` (see the module docstring) unless ``mount`` is given.

    Locally, :meth:`resolve` reads the value from the environment variable :attr:`env_var`.
    """

    key: str
    group: Optional[str] = None
    mount: Optional[Path] = None
    as_env_var: Optional[str] = None

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not self.key.strip():
            raise ValueError(f"Secret key: got {self.key!r}; expected a non-empty string (the secret's name)")
        if self.group is not None and (not isinstance(self.group, str) or not self.group.strip()):
            raise ValueError(f"Secret group: got {self.group!r}; expected a non-empty string or None")
        if self.mount is not None:
            if not isinstance(self.mount, (str, os.PathLike)):
                raise TypeError(f"Secret mount: got {type(self.mount).__name__} {self.mount!r}; expected a path")
            mount = Path(self.mount)
            if not mount.is_absolute():
                raise ValueError(
                    f"Secret mount: got {str(self.mount)!r}; expected an absolute path such as /etc/flyte/secrets"
                )
            object.__setattr__(self, "mount", mount)
        if self.as_env_var is not None:
            if not isinstance(self.as_env_var, str) or not _ENV_VAR.match(self.as_env_var):
                raise ValueError(
                    f"Secret as_env_var: got {self.as_env_var!r}; expected an environment variable name "
                    f"matching {_ENV_VAR.pattern} (letters, digits, underscores; not starting with a digit)"
                )
        elif self.mount is None:
            object.__setattr__(self, "as_env_var", self.default_env_var)

    @property
    def default_env_var(self) -> str:
        """The variable name derived from ``group`` and ``key``."""
        return env_var_name(f"{self.group}_{self.key}" if self.group else self.key)

    @property
    def env_var(self) -> str:
        """The environment variable this secret resolves from locally."""
        return self.as_env_var or self.default_env_var

    def resolve(self) -> Optional[str]:
        """Return the secret's value from the environment, or ``None`` when the variable is unset."""
        return os.environ.get(self.env_var)

    def describe(self) -> str:
        """One line such as ``secret github/token -> $GITHUB_TOKEN``."""
        name = f"{self.group}/{self.key}" if self.group else self.key
        target = "$" + self.env_var
        if self.mount is not None:
            target += f" (mounted at {self.mount} remotely)"
        return f"secret {name} -> {target}"


SecretRequestLike = Union[str, Secret, "SecretRequest", Mapping[str, str], list[Union[str, Secret]], None]


def _from_mapping(mapping: Mapping[Any, Any]) -> list[Secret]:
    secrets = []
    for key, env in mapping.items():
        if not isinstance(key, str) or not key.strip():
            raise ValueError(f"secrets: mapping key {key!r} is not a non-empty secret name")
        if not isinstance(env, str) or not env.strip():
            raise ValueError(
                f"secrets: mapping value for {key!r} is {env!r}; expected the environment variable name to expose it as"
            )
        secrets.append(Secret(key=key, as_env_var=env_var_name(env)))
    return secrets


def normalize_secrets(value: Any) -> tuple[Secret, ...]:
    """Turn any accepted secrets form into a tuple of :class:`Secret`.

    Accepted: ``None``; a secret name (``"api-key"``); a :class:`Secret`; a :class:`SecretRequest`;
    a mapping ``{secret key: environment variable}`` (the variable name is normalised like derived
    names: upper-cased, other characters than letters/digits/``_`` become ``_``); or a
    list/tuple of names, Secrets and SecretRequests. Exact duplicates are dropped.

    Raises:
        TypeError: an element of an unsupported type.
        ValueError: an invalid secret, or two different secrets bound to the same variable.
    """
    if value is None:
        items: list[Secret] = []
    elif isinstance(value, str):
        items = [Secret(key=value)]
    elif isinstance(value, Secret):
        items = [value]
    elif isinstance(value, SecretRequest):
        items = list(value.secrets)
    elif isinstance(value, Mapping):
        items = _from_mapping(value)
    elif isinstance(value, Iterable) and not isinstance(value, (bytes, bytearray)):
        items = []
        for element in value:
            if isinstance(element, str):
                items.append(Secret(key=element))
            elif isinstance(element, Secret):
                items.append(element)
            elif isinstance(element, SecretRequest):
                items.extend(element.secrets)
            else:
                raise TypeError(
                    f"secrets: got an element {element!r} of type {type(element).__name__}; "
                    f"accepted elements: secret names (str) and flyte.Secret"
                )
    else:
        raise TypeError(
            f"secrets: got {type(value).__name__} {value!r}; accepted: a secret name, flyte.Secret, "
            f"a list of those, a {{key: env_var}} mapping, or flyte.SecretRequest"
        )
    unique: list[Secret] = []
    by_env: dict[str, Secret] = {}
    for secret in items:
        if secret in unique:
            continue
        if secret.as_env_var is not None:
            other = by_env.get(secret.as_env_var)
            if other is not None:
                raise ValueError(
                    f"secrets: {other.describe()} and {secret.describe()} both use the environment "
                    f"variable {secret.as_env_var}; give one of them a different as_env_var"
                )
            by_env[secret.as_env_var] = secret
        unique.append(secret)
    return tuple(unique)


@dataclass(frozen=True, init=False)
class SecretRequest:
    """The secrets a task asks for, normalised to a tuple of :class:`Secret`.

    Works as the docs write it, ``flyte.SecretRequest(secrets={"api_key": "MY_ENV"})`` (secret key
    -> environment variable), and as a normaliser: ``SecretRequest("name")``,
    ``SecretRequest([Secret("a"), "b"])``, ``SecretRequest.from_value(value)``. Iterating yields
    the secrets.

    Args:
        secrets: Anything :func:`normalize_secrets` accepts.
    """

    secrets: tuple[Secret, ...] = field(default=())

    def __init__(self, secrets: Any = None) -> None:
        object.__setattr__(self, "secrets", normalize_secrets(secrets))

    @classmethod
    def from_value(cls, value: Any) -> SecretRequest:
        """Return ``value`` if it is a SecretRequest, else a new one normalised from it."""
        return value if isinstance(value, SecretRequest) else cls(value)

    def __iter__(self) -> Iterator[Secret]:
        return iter(self.secrets)

    def __len__(self) -> int:
        return len(self.secrets)

    def __bool__(self) -> bool:
        return bool(self.secrets)

    def resolve(self) -> dict[str, Optional[str]]:
        """Map each secret's environment variable to its local value (``None`` when unset)."""
        return {secret.env_var: secret.resolve() for secret in self.secrets}

    def describe(self) -> str:
        """One line per secret."""
        return "\n".join(secret.describe() for secret in self.secrets) or "no secrets"
