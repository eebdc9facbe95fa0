"""Container image specifications, built fluently: ``Image.from_debian_base().with_pip_packages("x")``.

Images are never built or pulled on this machine: local runs execute in the current Python
environment. An :class:`Image` records every builder call, in order, so the specification can
be inspected (:attr:`Image.layers`, :meth:`Image.describe`) and journaled. Arguments are
validated when the call is made; files are not touched (see :meth:`Image.validate` for an
explicit existence check), so declaring an image never fails because a path is missing.
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Optional, Union

from flyte._model.secret import Secret, normalize_secrets

__all__ = ["Architecture", "Image", "ImageLayer"]

Architecture = Literal["linux/amd64", "linux/arm64"]
_ARCHITECTURES: tuple[str, ...] = ("linux/amd64", "linux/arm64")
_INSTALL_MODES: tuple[str, ...] = ("dependencies_only", "install_project")
_COPY_STYLES: tuple[str, ...] = ("loaded_modules", "all")

PathLike = Union[str, "os.PathLike[str]"]


def _current_python() -> tuple[int, int]:
    return sys.version_info.major, sys.version_info.minor


# ---------------------------------------------------------------------------------------------
# Validation helpers: every error names the builder method, the parameter and the value.


def _fail_type(method: str, param: str, value: Any, expected: str) -> TypeError:
    return TypeError(f"Image.{method}: {param} got {type(value).__name__} {value!r}; expected {expected}")


def _text(method: str, param: str, value: Any, *, optional: bool = False) -> Optional[str]:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise _fail_type(method, param, value, "a non-empty string" + (" or None" if optional else ""))
    if not value.strip():
        raise ValueError(f"Image.{method}: {param} got an empty string; expected a non-empty string")
    return value


def _path(method: str, param: str, value: Any, *, optional: bool = False) -> Optional[Path]:
    if value is None and optional:
        return None
    if isinstance(value, str):
        if not value.strip():
            raise ValueError(f"Image.{method}: {param} got an empty string; expected a path")
        return Path(value)
    if isinstance(value, os.PathLike):
        return Path(value)
    raise _fail_type(method, param, value, "a path (str or pathlib.Path)" + (" or None" if optional else ""))


def _flag(method: str, param: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail_type(method, param, value, "True or False")
    return value


def _choice(method: str, param: str, value: Any, accepted: tuple[str, ...]) -> str:
    if value not in accepted:
        raise ValueError(f"Image.{method}: {param} got {value!r}; accepted: {list(accepted)}")
    return value


def _names(method: str, param: str, values: Any, what: str) -> tuple[str, ...]:
    out = []
    for i, value in enumerate(values):
        if isinstance(value, (list, tuple)):
            raise TypeError(
                f"Image.{method}: {param}[{i}] is a {type(value).__name__} {value!r}; pass {what} as separate "
                f"arguments, e.g. .{method}('vim', 'git') or .{method}(*names)"
            )
        if not isinstance(value, str):
            raise _fail_type(method, f"{param}[{i}]", value, f"a {what[:-1]} name (str)")
        if not value.strip():
            raise ValueError(f"Image.{method}: {param}[{i}] is an empty string; expected a {what[:-1]} name")
        out.append(value)
    return tuple(out)


def _urls(method: str, value: Any) -> Optional[tuple[str, ...]]:
    if value is None:
        return None
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, (list, tuple)):
        raise _fail_type(method, "extra_index_urls", value, "a URL string, or a list/tuple of them")
    return tuple(_text(method, f"extra_index_urls[{i}]", url) or "" for i, url in enumerate(value))


def _secret_mounts(method: str, value: Any) -> Optional[tuple[Secret, ...]]:
    if value is None:
        return None
    try:
        secrets = normalize_secrets(value)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"Image.{method}: secret_mounts: {exc}") from exc
    return secrets or None


def _python_version(method: str, value: Any) -> tuple[int, int]:
    if isinstance(value, str):
        parts = value.strip().split(".")
        if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
            value = (int(parts[0]), int(parts[1]))
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise ValueError(
            f"Image.{method}: python_version got {value!r}; expected a (major, minor) tuple such as (3, 12)"
        )
    major, minor = value
    if major != 3 or minor < 0:
        raise ValueError(
            f"Image.{method}: python_version got {tuple(value)!r}; expected a Python 3 version such as (3, 12)"
        )
    return int(major), int(minor)


def _platform(method: str, value: Any) -> tuple[str, ...]:
    items = (value,) if isinstance(value, str) else value
    if not isinstance(items, (tuple, list)) or not items:
        raise ValueError(f"Image.{method}: platform got {value!r}; accepted: one or more of {list(_ARCHITECTURES)}")
    for item in items:
        if item not in _ARCHITECTURES:
            raise ValueError(f"Image.{method}: platform got {item!r}; accepted: {list(_ARCHITECTURES)}")
    return tuple(items)


def _registry_secret(method: str, value: Any) -> Optional[Secret]:
    if value is None or isinstance(value, Secret):
        return value
    if isinstance(value, str):
        return Secret(key=value)
    raise _fail_type(method, "registry_secret", value, "a secret name, a flyte.Secret or None")


def _repr_value(value: Any) -> str:
    if isinstance(value, Path):
        return repr(str(value))
    if isinstance(value, Secret):
        return f"Secret({value.key!r})"
    if isinstance(value, tuple):
        inner = ", ".join(_repr_value(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


@dataclass(frozen=True)
class ImageLayer:
    """One recorded builder call: the method name, its positional arguments and its options.

    Arguments are stored normalised (paths as ``Path``, lists as tuples, secrets as
    ``Secret``); options left at the method's defaults are not recorded.
    """

    method: str
    args: tuple[Any, ...] = ()
    options: tuple[tuple[str, Any], ...] = ()

    @property
    def kwargs(self) -> dict[str, Any]:
        """The recorded options as a dict."""
        return dict(self.options)

    def describe(self) -> str:
        """The call as source text, e.g. ``with_pip_packages('numpy', pre=True)``."""
        if self.method == "with_env_vars" and len(self.args) == 1:
            args = [repr(dict(self.args[0]))]  # stored as pairs to stay hashable; shown as written
        else:
            args = [_repr_value(a) for a in self.args]
        parts = args + [f"{k}={_repr_value(v)}" for k, v in self.options]
        return f"{self.method}({', '.join(parts)})"


def _layer(method: str, args: tuple[Any, ...] = (), **options: Any) -> ImageLayer:
    kept = tuple((k, v) for k, v in options.items() if v is not None)
    return ImageLayer(method=method, args=args, options=kept)


@dataclass(frozen=True)
class Image:
    """A container image specification: a base (``from_*``) plus recorded layers (``with_*``).

    Every builder method returns a new ``Image``; the original is never changed. Start with
    :meth:`from_debian_base`, :meth:`from_base`, :meth:`from_uv_script`, :meth:`from_dockerfile`
    or :meth:`from_ref_name`, then add layers::

        image = (
            flyte.Image.from_debian_base(python_version=(3, 12))
            .with_pip_packages("pandas", "scikit-learn")
            .with_apt_packages("curl", "git")
        )

    Images have no effect on local runs (tasks run in the current interpreter); they are
    recorded so a run's journal shows what the task declared.
    """

    base_image: Optional[str] = None
    dockerfile: Optional[Path] = None
    registry: Optional[str] = None
    name: Optional[str] = None
    platform: tuple[str, ...] = ("linux/amd64",)
    python_version: tuple[int, int] = field(default_factory=_current_python)
    extendable: bool = True
    registry_secret: Optional[Secret] = None
    #: The ``from_*`` call that created the image (``None`` for a directly constructed Image).
    source: Optional[ImageLayer] = None
    #: Every later builder call, in order.
    layers: tuple[ImageLayer, ...] = ()

    def __post_init__(self) -> None:
        _text("__init__", "base_image", self.base_image, optional=True)
        _text("__init__", "registry", self.registry, optional=True)
        _text("__init__", "name", self.name, optional=True)
        if self.dockerfile is not None:
            object.__setattr__(self, "dockerfile", _path("__init__", "dockerfile", self.dockerfile))
        object.__setattr__(self, "platform", _platform("__init__", self.platform))
        object.__setattr__(self, "python_version", _python_version("__init__", self.python_version))
        object.__setattr__(self, "registry_secret", _registry_secret("__init__", self.registry_secret))
        _flag("__init__", "extendable", self.extendable)
        if isinstance(self.layers, list):
            object.__setattr__(self, "layers", tuple(self.layers))
        for layer in self.layers:
            if not isinstance(layer, ImageLayer):
                raise _fail_type("__init__", "layers", layer, "ImageLayer entries")

    # -- base constructors ---------------------------------------------------------------------

    @classmethod
    def from_debian_base(
        cls,
        python_version: Optional[tuple[int, int]] = None,
        flyte_version: Optional[str] = None,
        install_flyte: bool = True,
        registry: Optional[str] = None,
        registry_secret: Optional[Union[str, Secret]] = None,
        name: Optional[str] = None,
        platform: Optional[tuple[Architecture, ...]] = None,
    ) -> Image:
        """The default Debian-based Python image (multi-arch), with ``flyte`` installed by default.

        Args:
            python_version: ``(major, minor)``; defaults to the running interpreter's version.
            flyte_version: The flyte version to install; defaults to this SDK's version.
            install_flyte: Whether to install flyte in the image.
            registry: Registry to push the built image to.
            registry_secret: Secret (name or ``Secret``) for pulling/pushing a private image.
            name: Image name; defaults to ``"flyte"``.
            platform: Architectures, default ``("linux/amd64", "linux/arm64")``.
        """
        method = "from_debian_base"
        version = _current_python() if python_version is None else _python_version(method, python_version)
        _text(method, "flyte_version", flyte_version, optional=True)
        _flag(method, "install_flyte", install_flyte)
        source = _layer(
            method,
            python_version=None if python_version is None else version,
            flyte_version=flyte_version,
            install_flyte=None if install_flyte else False,
            registry=_text(method, "registry", registry, optional=True),
            registry_secret=_registry_secret(method, registry_secret),
            name=_text(method, "name", name, optional=True),
            platform=None if platform is None else _platform(method, platform),
        )
        return cls(
            base_image=f"python:{version[0]}.{version[1]}-slim-bookworm",
            registry=registry,
            name=name or "flyte",
            platform=("linux/amd64", "linux/arm64") if platform is None else _platform(method, platform),
            python_version=version,
            registry_secret=_registry_secret(method, registry_secret),
            source=source,
        )

    @classmethod
    def from_base(cls, image_uri: str) -> Image:
        """An existing, pre-built image, e.g. ``Image.from_base("python:3.12-slim")``."""
        uri = _text("from_base", "image_uri", image_uri)
        return cls(base_image=uri, source=_layer("from_base", (uri,)))

    @classmethod
    def from_ref_name(cls, name: str = "default") -> Image:
        """A pre-built image referred to by a name configured in the CLI or config (``images:``)."""
        ref = _text("from_ref_name", "name", name)
        return cls(name=ref, source=_layer("from_ref_name", (ref,)))

    @classmethod
    def from_uv_script(
        cls,
        script: PathLike,
        *,
        name: str,
        registry: Optional[str] = None,
        registry_secret: Optional[Union[str, Secret]] = None,
        python_version: Optional[tuple[int, int]] = None,
        index_url: Optional[str] = None,
        extra_index_urls: Union[str, list[str], tuple[str, ...], None] = None,
        pre: bool = False,
        extra_args: Optional[str] = None,
        platform: Optional[tuple[Architecture, ...]] = None,
        secret_mounts: Any = None,
    ) -> Image:
        """An image whose dependencies come from a uv script's inline metadata (``# /// script``).

        The script is not read here; its header is what a remote builder installs.
        """
        method = "from_uv_script"
        script_path = _path(method, "script", script)
        assert script_path is not None
        version = _current_python() if python_version is None else _python_version(method, python_version)
        source = _layer(
            method,
            (script_path,),
            name=_text(method, "name", name),
            registry=_text(method, "registry", registry, optional=True),
            registry_secret=_registry_secret(method, registry_secret),
            python_version=None if python_version is None else version,
            index_url=_text(method, "index_url", index_url, optional=True),
            extra_index_urls=_urls(method, extra_index_urls),
            pre=_flag(method, "pre", pre) or None,
            extra_args=_text(method, "extra_args", extra_args, optional=True),
            platform=None if platform is None else _platform(method, platform),
            secret_mounts=_secret_mounts(method, secret_mounts),
        )
        return cls(
            base_image=f"python:{version[0]}.{version[1]}-slim-bookworm",
            registry=registry,
            name=name,
            platform=("linux/amd64", "linux/arm64") if platform is None else _platform(method, platform),
            python_version=version,
            registry_secret=_registry_secret(method, registry_secret),
            source=source,
        )

    @classmethod
    def from_dockerfile(
        cls,
        file: PathLike,
        registry: str,
        name: str,
        platform: Union[Architecture, tuple[Architecture, ...], None] = None,
    ) -> Image:
        """An image built from a Dockerfile; no layers can be added to it afterwards."""
        method = "from_dockerfile"
        path = _path(method, "file", file)
        source = _layer(
            method,
            (path,),
            registry=_text(method, "registry", registry),
            name=_text(method, "name", name),
            platform=None if platform is None else _platform(method, platform),
        )
        return cls(
            dockerfile=path,
            registry=registry,
            name=name,
            platform=("linux/amd64",) if platform is None else _platform(method, platform),
            extendable=False,
            source=source,
        )

    # -- layering ------------------------------------------------------------------------------

    def _add(self, layer: ImageLayer) -> Image:
        if self.dockerfile is not None:
            raise ValueError(
                f"Image.{layer.method}: cannot add layers to an image built from the Dockerfile {self.dockerfile}; "
                f"put this step in the Dockerfile instead"
            )
        if not self.extendable:
            raise ValueError(
                f"Image.{layer.method}: this image was made non-extendable (clone(extendable=False)); "
                f"clone it with extendable=True before adding layers"
            )
        return replace(self, layers=(*self.layers, layer))

    def clone(
        self,
        registry: Optional[str] = None,
        registry_secret: Optional[Union[str, Secret]] = None,
        name: Optional[str] = None,
        base_image: Optional[str] = None,
        python_version: Optional[tuple[int, int]] = None,
        addl_layer: Optional[ImageLayer] = None,
        extendable: Optional[bool] = None,
        platform: Union[Architecture, tuple[Architecture, ...], None] = None,
    ) -> Image:
        """A copy with some base properties changed and, optionally, one more layer appended.

        The property changes are recorded as a ``clone(...)`` layer so :meth:`describe` shows them.
        """
        method = "clone"
        if addl_layer is not None and not isinstance(addl_layer, ImageLayer):
            raise _fail_type(method, "addl_layer", addl_layer, "an ImageLayer or None")
        changes: dict[str, Any] = {}
        if registry is not None:
            changes["registry"] = _text(method, "registry", registry)
        if registry_secret is not None:
            changes["registry_secret"] = _registry_secret(method, registry_secret)
        if name is not None:
            changes["name"] = _text(method, "name", name)
        if base_image is not None:
            changes["base_image"] = _text(method, "base_image", base_image)
        if python_version is not None:
            changes["python_version"] = _python_version(method, python_version)
        if extendable is not None:
            changes["extendable"] = _flag(method, "extendable", extendable)
        if platform is not None:
            changes["platform"] = _platform(method, platform)
        image = self
        if changes:
            image = replace(self, **changes, layers=(*self.layers, _layer(method, **changes)))
        if addl_layer is not None:
            image = image._add(addl_layer)
        return image

    def with_pip_packages(
        self,
        *packages: str,
        index_url: Optional[str] = None,
        extra_index_urls: Union[str, list[str], tuple[str, ...], None] = None,
        pre: bool = False,
        extra_args: Optional[str] = None,
        secret_mounts: Any = None,
    ) -> Image:
        """Add ``pip install`` of ``packages`` (pip requirement syntax, e.g. ``"numpy>=2"``)."""
        method = "with_pip_packages"
        return self._add(
            _layer(
                method,
                _names(method, "packages", packages, "packages"),
                index_url=_text(method, "index_url", index_url, optional=True),
                extra_index_urls=_urls(method, extra_index_urls),
                pre=_flag(method, "pre", pre) or None,
                extra_args=_text(method, "extra_args", extra_args, optional=True),
                secret_mounts=_secret_mounts(method, secret_mounts),
            )
        )

    def with_apt_packages(self, *packages: str, secret_mounts: Any = None) -> Image:
        """Add ``apt-get install`` of ``packages``."""
        method = "with_apt_packages"
        names = _names(method, "packages", packages, "packages")
        if not names:
            raise ValueError(f"Image.{method}: no packages given; pass at least one apt package name")
        return self._add(_layer(method, names, secret_mounts=_secret_mounts(method, secret_mounts)))

    def with_requirements(
        self,
        file: PathLike,
        index_url: Optional[str] = None,
        extra_index_urls: Union[str, list[str], tuple[str, ...], None] = None,
        pre: bool = False,
        extra_args: Optional[str] = None,
        secret_mounts: Any = None,
    ) -> Image:
        """Add ``pip install -r file``; the file must have a ``.txt`` extension."""
        method = "with_requirements"
        path = _path(method, "file", file)
        assert path is not None
        if path.suffix != ".txt":
            raise ValueError(f"Image.{method}: file {str(path)!r} must be a requirements file with a .txt extension")
        return self._add(
            _layer(
                method,
                (path,),
                index_url=_text(method, "index_url", index_url, optional=True),
                extra_index_urls=_urls(method, extra_index_urls),
                pre=_flag(method, "pre", pre) or None,
                extra_args=_text(method, "extra_args", extra_args, optional=True),
                secret_mounts=_secret_mounts(method, secret_mounts),
            )
        )

    def with_uv_project(
        self,
        pyproject_file: PathLike,
        uvlock: Optional[PathLike] = None,
        index_url: Optional[str] = None,
        extra_index_urls: Union[list[str], tuple[str, ...], None] = None,
        pre: bool = False,
        extra_args: Optional[str] = None,
        secret_mounts: Any = None,
        project_install_mode: Literal["dependencies_only", "install_project"] = "dependencies_only",
    ) -> Image:
        """Add the dependencies of a uv project (``pyproject.toml`` plus ``uv.lock`` beside it)."""
        method = "with_uv_project"
        mode = _choice(method, "project_install_mode", project_install_mode, _INSTALL_MODES)
        return self._add(
            _layer(
                method,
                (_path(method, "pyproject_file", pyproject_file),),
                uvlock=_path(method, "uvlock", uvlock, optional=True),
                index_url=_text(method, "index_url", index_url, optional=True),
                extra_index_urls=_urls(method, extra_index_urls),
                pre=_flag(method, "pre", pre) or None,
                extra_args=_text(method, "extra_args", extra_args, optional=True),
                secret_mounts=_secret_mounts(method, secret_mounts),
                project_install_mode=None if mode == "dependencies_only" else mode,
            )
        )

    def with_poetry_project(
        self,
        pyproject_file: PathLike,
        poetry_lock: Optional[PathLike] = None,
        extra_args: Optional[str] = None,
        secret_mounts: Any = None,
        project_install_mode: Literal["dependencies_only", "install_project"] = "dependencies_only",
    ) -> Image:
        """Add the dependencies of a Poetry project (``pyproject.toml`` plus ``poetry.lock``)."""
        method = "with_poetry_project"
        mode = _choice(method, "project_install_mode", project_install_mode, _INSTALL_MODES)
        return self._add(
            _layer(
                method,
                (_path(method, "pyproject_file", pyproject_file),),
                poetry_lock=_path(method, "poetry_lock", poetry_lock, optional=True),
                extra_args=_text(method, "extra_args", extra_args, optional=True),
                secret_mounts=_secret_mounts(method, secret_mounts),
                project_install_mode=None if mode == "dependencies_only" else mode,
            )
        )

    def with_pixi_project(
        self,
        manifest_file: PathLike,
        pixi_lock: Optional[PathLike] = None,
        environment: str = "default",
        extra_args: Optional[str] = None,
        secret_mounts: Any = None,
        project_install_mode: Literal["dependencies_only", "install_project"] = "dependencies_only",
    ) -> Image:
        """Add a pixi environment (``pixi.toml`` or ``pyproject.toml`` with ``[tool.pixi]``)."""
        method = "with_pixi_project"
        mode = _choice(method, "project_install_mode", project_install_mode, _INSTALL_MODES)
        env = _text(method, "environment", environment)
        return self._add(
            _layer(
                method,
                (_path(method, "manifest_file", manifest_file),),
                pixi_lock=_path(method, "pixi_lock", pixi_lock, optional=True),
                environment=None if env == "default" else env,
                extra_args=_text(method, "extra_args", extra_args, optional=True),
                secret_mounts=_secret_mounts(method, secret_mounts),
                project_install_mode=None if mode == "dependencies_only" else mode,
            )
        )

    def with_source_folder(self, src: PathLike, dst: str = ".", copy_contents_only: bool = False) -> Image:
        """Copy a local folder into the image (into the working directory unless ``dst`` is given)."""
        method = "with_source_folder"
        path = _path(method, "src", src)
        target = _text(method, "dst", dst)
        return self._add(
            _layer(
                method,
                (path,),
                dst=None if target == "." else target,
                copy_contents_only=_flag(method, "copy_contents_only", copy_contents_only) or None,
            )
        )

    def with_source_file(self, src: Union[PathLike, list[PathLike]], dst: str = ".") -> Image:
        """Copy one local file, or a list of files, into the image."""
        method = "with_source_file"
        target = _text(method, "dst", dst)
        if isinstance(src, (list, tuple)):
            if not src:
                raise ValueError(f"Image.{method}: src is an empty list; give at least one file")
            paths = tuple(_path(method, f"src[{i}]", p) for i, p in enumerate(src))
            names = [p.name for p in paths if p is not None]
            duplicates = sorted({n for n in names if names.count(n) > 1})
            if duplicates:
                raise ValueError(
                    f"Image.{method}: files with the same name would overwrite each other at {target!r}: {duplicates}"
                )
            args: tuple[Any, ...] = (paths,)
        else:
            args = (_path(method, "src", src),)
        return self._add(_layer(method, args, dst=None if target == "." else target))

    def with_code_bundle(
        self, copy_style: Literal["loaded_modules", "all"] = "loaded_modules", dst: str = "."
    ) -> Image:
        """Bake the project's source into the image when runs do not ship a code bundle."""
        method = "with_code_bundle"
        style = _choice(method, "copy_style", copy_style, _COPY_STYLES)
        target = _text(method, "dst", dst)
        return self._add(
            _layer(
                method, copy_style=None if style == "loaded_modules" else style, dst=None if target == "." else target
            )
        )

    def with_env_vars(self, env_vars: dict[str, str]) -> Image:
        """Set environment variables in the image."""
        method = "with_env_vars"
        if not isinstance(env_vars, dict):
            raise _fail_type(method, "env_vars", env_vars, "a dict of str -> str")
        pairs = []
        for key, value in env_vars.items():
            if not isinstance(key, str) or not key.strip():
                raise ValueError(f"Image.{method}: env_vars has the key {key!r}; expected non-empty string names")
            if not isinstance(value, str):
                raise TypeError(
                    f"Image.{method}: env_vars[{key!r}] is {type(value).__name__} {value!r}; values must be strings "
                    f"(write {str(value)!r} if that is what you mean)"
                )
            pairs.append((key, value))
        return self._add(_layer(method, (tuple(pairs),)))

    def with_commands(self, commands: Union[list[str], str], secret_mounts: Any = None) -> Image:
        """Run shell commands while building (without a leading ``RUN``)."""
        method = "with_commands"
        items = (commands,) if isinstance(commands, str) else commands
        if not isinstance(items, (list, tuple)):
            raise _fail_type(method, "commands", commands, "a list of shell command strings")
        names = _names(method, "commands", items, "commands")
        if not names:
            raise ValueError(f"Image.{method}: commands is empty; give at least one shell command")
        return self._add(_layer(method, (names,), secret_mounts=_secret_mounts(method, secret_mounts)))

    def with_workdir(self, workdir: str) -> Image:
        """Set the working directory of the image."""
        return self._add(_layer("with_workdir", (_text("with_workdir", "workdir", workdir),)))

    def with_dockerignore(self, path: PathLike) -> Image:
        """Use a ``.dockerignore`` file to filter what is copied into the image."""
        return self._add(_layer("with_dockerignore", (_path("with_dockerignore", "path", path),)))

    def with_local_v2(self) -> Image:
        """Install flyte from locally built wheels (SDK development)."""
        return self._add(_layer("with_local_v2"))

    def with_local_v2_plugins(self, plugins: Union[str, list[str], None] = None) -> Image:
        """Install locally built plugin wheels (names start with ``flyteplugins-``)."""
        method = "with_local_v2_plugins"
        items = [] if plugins is None else [plugins] if isinstance(plugins, str) else list(plugins)
        names = _names(method, "plugins", items, "plugins")
        for plugin in names:
            if not plugin.startswith("flyteplugins-"):
                raise ValueError(f"Image.{method}: plugin {plugin!r} must start with 'flyteplugins-'")
        return self._add(_layer(method, names)) if names else self

    # -- inspection ----------------------------------------------------------------------------

    @property
    def identifier(self) -> str:
        """A stable hash of the specification (base properties and every recorded call)."""
        return hashlib.sha256(self.describe().encode("utf-8")).hexdigest()

    @property
    def uri(self) -> str:
        """``base_image`` for an unmodified pre-built image, else ``[registry/]name:<spec hash>``."""
        if (
            not self.layers
            and self.dockerfile is None
            and self.base_image
            and (self.source is None or self.source.method == "from_base")
        ):
            return self.base_image
        name = self.name or "flyte"
        prefix = f"{self.registry}/" if self.registry else ""
        return f"{prefix}{name}:{self.identifier[:16]}"

    def describe(self) -> str:
        """A readable summary: the base on the first line, then one line per recorded layer."""
        if self.source is not None:
            head = f"Image.{self.source.describe()}"
        elif self.dockerfile is not None:
            head = f"Image(dockerfile={str(self.dockerfile)!r})"
        else:
            head = f"Image(base_image={self.base_image!r}, name={self.name!r})"
        return "\n".join([head, *(f"  .{layer.describe()}" for layer in self.layers)])

    def validate(self) -> None:
        """Check that the local files the specification refers to exist.

        Never called implicitly (an image declared in a module must not fail the import);
        call it before handing the specification to a real builder.

        Raises:
            FileNotFoundError: a referenced file or folder does not exist.
            ValueError: a path exists but is of the wrong kind (file vs folder).
        """
        checks: list[tuple[str, Path, str]] = []
        if self.dockerfile is not None:
            checks.append(("from_dockerfile", self.dockerfile, "file"))
        calls = ([self.source] if self.source is not None else []) + list(self.layers)
        for call in calls:
            kwargs = call.kwargs
            if call.method in ("from_uv_script", "with_requirements", "with_uv_project", "with_poetry_project"):
                checks.append((call.method, call.args[0], "file"))
            elif call.method == "with_pixi_project":
                checks.append((call.method, call.args[0], "any"))
            elif call.method == "with_source_folder":
                checks.append((call.method, call.args[0], "dir"))
            elif call.method == "with_source_file":
                paths = call.args[0] if isinstance(call.args[0], tuple) else (call.args[0],)
                checks.extend((call.method, p, "file") for p in paths)
            for key in ("uvlock", "poetry_lock", "pixi_lock"):
                if key in kwargs:
                    checks.append((call.method, kwargs[key], "file"))
        for method, path, kind in checks:
            if not path.exists():
                raise FileNotFoundError(f"Image.{method}: {str(path)!r} does not exist (resolved: {path.resolve()})")
            if kind == "file" and not path.is_file():
                raise ValueError(f"Image.{method}: {str(path)!r} is not a file")
            if kind == "dir" and not path.is_dir():
                raise ValueError(f"Image.{method}: {str(path)!r} is not a folder")
