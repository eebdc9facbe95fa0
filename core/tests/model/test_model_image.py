import dataclasses
import sys
from pathlib import Path

import pytest

import flyte
from flyte._model.image import Image, ImageLayer
from flyte._model.secret import Secret

CURRENT = (sys.version_info.major, sys.version_info.minor)


def test_public_name():
    assert flyte.Image is Image


# ------------------------------------------------------------------ layering


def test_layers_recorded_in_order_and_inspectable():
    image = Image.from_debian_base().with_pip_packages("x").with_apt_packages("git")
    assert [layer.method for layer in image.layers] == ["with_pip_packages", "with_apt_packages"]
    assert image.layers[0].args == ("x",)
    assert image.layers[1].args == ("git",)
    assert image.source == ImageLayer("from_debian_base")
    assert image.python_version == CURRENT


def test_builder_methods_return_new_images_and_never_mutate():
    base = Image.from_debian_base()
    with_pip = base.with_pip_packages("numpy")
    assert base.layers == ()
    assert with_pip is not base and len(with_pip.layers) == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        base.name = "other"  # type: ignore[misc]


def test_images_are_hashable_and_compare_by_spec():
    a = Image.from_debian_base(name="x").with_pip_packages("a", pre=True).with_env_vars({"K": "V"})
    b = Image.from_debian_base(name="x").with_pip_packages("a", pre=True).with_env_vars({"K": "V"})
    assert a == b and hash(a) == hash(b) and a.identifier == b.identifier
    assert a != a.with_apt_packages("git")


def test_docs_examples():
    image = flyte.Image.from_debian_base(name="jsonl").with_pip_packages("flyteplugins-jsonl", "pyarrow")
    assert image.name == "jsonl"
    assert flyte.Image.from_debian_base().with_pip_packages("pandas", "pyarrow", "numpy").layers[0].args == (
        "pandas",
        "pyarrow",
        "numpy",
    )
    alpine = flyte.Image.from_base("alpine:3.18")
    assert alpine.base_image == "alpine:3.18" and alpine.uri == "alpine:3.18"


def test_pip_options_are_recorded_only_when_set():
    layer = (
        Image.from_debian_base()
        .with_pip_packages(
            "torch",
            index_url="https://download.pytorch.org/whl/cpu",
            extra_index_urls="https://extra",
            pre=True,
            extra_args="--no-deps",
            secret_mounts=["GITHUB_PAT"],
        )
        .layers[0]
    )
    assert layer.kwargs == {
        "index_url": "https://download.pytorch.org/whl/cpu",
        "extra_index_urls": ("https://extra",),
        "pre": True,
        "extra_args": "--no-deps",
        "secret_mounts": (Secret(key="GITHUB_PAT"),),
    }
    assert Image.from_debian_base().with_pip_packages("a").layers[0].kwargs == {}


def test_whole_builder_family_records_each_call(tmp_path):
    image = (
        Image.from_debian_base(python_version=(3, 12), registry="ghcr.io/me", name="app")
        .with_apt_packages("curl", "git", secret_mounts=Secret("apt-secret", mount="/etc/apt/apt-secret"))
        .with_requirements("requirements.txt")
        .with_uv_project("proj/pyproject.toml", project_install_mode="install_project")
        .with_poetry_project(Path("poetry/pyproject.toml"), extra_args="--no-root")
        .with_pixi_project("pixi.toml", environment="gpu")
        .with_source_folder(Path("src"), dst="/app")
        .with_source_file(Path("conf.yaml"))
        .with_source_file([Path("a.py"), Path("b/b.py")], dst="/app")
        .with_env_vars({"HF_HOME": "/cache"})
        .with_commands(["echo hi", "ls"])
        .with_workdir("/app")
        .with_dockerignore(".dockerignore")
        .with_code_bundle(copy_style="all")
        .with_local_v2()
        .with_local_v2_plugins("flyteplugins-hitl")
        .clone(name="app2", extendable=True)
    )
    assert [layer.method for layer in image.layers] == [
        "with_apt_packages",
        "with_requirements",
        "with_uv_project",
        "with_poetry_project",
        "with_pixi_project",
        "with_source_folder",
        "with_source_file",
        "with_source_file",
        "with_env_vars",
        "with_commands",
        "with_workdir",
        "with_dockerignore",
        "with_code_bundle",
        "with_local_v2",
        "with_local_v2_plugins",
        "clone",
    ]
    assert image.python_version == (3, 12) and image.registry == "ghcr.io/me" and image.name == "app2"
    assert image.layers[1].args == (Path("requirements.txt"),)
    assert image.layers[2].kwargs == {"project_install_mode": "install_project"}
    assert image.layers[7].args == ((Path("a.py"), Path("b/b.py")),)
    assert image.layers[8].args == ((("HF_HOME", "/cache"),),)
    assert image.layers[9].args == (("echo hi", "ls"),)
    assert image.uri.startswith("ghcr.io/me/app2:")
    text = image.describe()
    lines = text.splitlines()
    assert lines[0] == "Image.from_debian_base(python_version=(3, 12), registry='ghcr.io/me', name='app')"
    assert len(lines) == 1 + len(image.layers)
    assert "  .with_env_vars({'HF_HOME': '/cache'})" in lines
    assert "  .with_apt_packages('curl', 'git', secret_mounts=(Secret('apt-secret'),))" in lines
    assert "  .with_source_folder('src', dst='/app')" in lines
    assert lines[-1] == "  .clone(name='app2', extendable=True)"


def test_from_uv_script_and_dockerfile():
    script = Image.from_uv_script("scripts/job.py", name="job", registry="r.io", python_version=(3, 11), pre=True)
    assert script.source is not None and script.source.method == "from_uv_script"
    assert script.source.args == (Path("scripts/job.py"),)
    assert script.name == "job" and script.python_version == (3, 11)
    docker = Image.from_dockerfile("Dockerfile", registry="r.io", name="img", platform="linux/arm64")
    assert docker.dockerfile == Path("Dockerfile") and docker.platform == ("linux/arm64",)
    with pytest.raises(ValueError, match="cannot add layers to an image built from the Dockerfile Dockerfile"):
        docker.with_pip_packages("x")


def test_from_ref_name_and_clone():
    ref = Image.from_ref_name()
    assert ref.name == "default"
    clone = Image.from_base("python:3.12").clone(registry="r.io", name="mine", registry_secret="pull-secret")
    assert clone.registry_secret == Secret("pull-secret")
    assert clone.layers[-1].method == "clone"
    same = clone.clone()
    assert same == clone
    locked = Image.from_base("python:3.12").clone(extendable=False)
    with pytest.raises(ValueError, match="non-extendable"):
        locked.with_apt_packages("git")
    extra = Image.from_base("python:3.12").clone(addl_layer=ImageLayer("with_workdir", ("/w",)))
    assert extra.layers == (ImageLayer("with_workdir", ("/w",)),)


def test_python_version_and_platform_forms():
    assert Image.from_debian_base(python_version="3.12").python_version == (3, 12)
    assert Image.from_debian_base(platform=("linux/amd64",)).platform == ("linux/amd64",)
    assert Image.from_debian_base().platform == ("linux/amd64", "linux/arm64")


def test_paths_are_not_touched_until_validate(tmp_path):
    image = Image.from_debian_base().with_requirements(tmp_path / "missing.txt")
    with pytest.raises(FileNotFoundError, match="with_requirements"):
        image.validate()
    req = tmp_path / "requirements.txt"
    req.write_text("numpy\n")
    (tmp_path / "src").mkdir()
    ok = Image.from_debian_base().with_requirements(req).with_source_folder(tmp_path / "src")
    ok.validate()
    with pytest.raises(ValueError, match="is not a folder"):
        Image.from_debian_base().with_source_folder(req).validate()
    with pytest.raises(ValueError, match="is not a file"):
        Image.from_debian_base().with_source_file(tmp_path / "src").validate()


# ------------------------------------------------------------------ validation errors


def test_package_validation():
    with pytest.raises(
        TypeError, match=r"Image.with_pip_packages: packages\[0\] is a list \['a', 'b'\]; pass packages as separate"
    ):
        Image.from_debian_base().with_pip_packages(["a", "b"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"Image.with_pip_packages: packages\[1\] is an empty string"):
        Image.from_debian_base().with_pip_packages("a", " ")
    with pytest.raises(TypeError, match=r"Image.with_apt_packages: packages\[0\] got int 3; expected a package name"):
        Image.from_debian_base().with_apt_packages(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Image.with_apt_packages: no packages given"):
        Image.from_debian_base().with_apt_packages()
    with pytest.raises(TypeError, match="Image.with_pip_packages: pre got str 'yes'; expected True or False"):
        Image.from_debian_base().with_pip_packages("a", pre="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="extra_index_urls got int 5"):
        Image.from_debian_base().with_pip_packages("a", extra_index_urls=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Image.with_pip_packages: secret_mounts: secrets: got int 3"):
        Image.from_debian_base().with_pip_packages("a", secret_mounts=3)


def test_env_var_validation():
    with pytest.raises(TypeError, match=r"Image.with_env_vars: env_vars\['N'\] is int 1; values must be strings"):
        Image.from_debian_base().with_env_vars({"N": 1})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="Image.with_env_vars: env_vars has the key ''"):
        Image.from_debian_base().with_env_vars({"": "x"})
    with pytest.raises(TypeError, match=r"Image.with_env_vars: env_vars got list \[\('a', 'b'\)\]; expected a dict"):
        Image.from_debian_base().with_env_vars([("a", "b")])  # type: ignore[arg-type]


def test_path_and_choice_validation():
    with pytest.raises(
        TypeError, match=r"Image.with_source_folder: src got int 3; expected a path \(str or pathlib.Path\)"
    ):
        Image.from_debian_base().with_source_folder(3)  # type: ignore[arg-type]
    with pytest.raises(
        ValueError, match="Image.with_requirements: file 'reqs.in' must be a requirements file with a .txt extension"
    ):
        Image.from_debian_base().with_requirements("reqs.in")
    with pytest.raises(
        ValueError, match=r"project_install_mode got 'all'; accepted: \['dependencies_only', 'install_project'\]"
    ):
        Image.from_debian_base().with_uv_project("pyproject.toml", project_install_mode="all")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="files with the same name would overwrite each other at '.': \\['a.py'\\]"):
        Image.from_debian_base().with_source_file([Path("x/a.py"), Path("y/a.py")])
    with pytest.raises(ValueError, match="Image.with_workdir: workdir got an empty string"):
        Image.from_debian_base().with_workdir("")
    with pytest.raises(ValueError, match="Image.with_commands: commands is empty"):
        Image.from_debian_base().with_commands([])
    with pytest.raises(ValueError, match="plugin 'hitl' must start with 'flyteplugins-'"):
        Image.from_debian_base().with_local_v2_plugins(["hitl"])
    with pytest.raises(ValueError, match=r"copy_style got 'some'; accepted: \['loaded_modules', 'all'\]"):
        Image.from_debian_base().with_code_bundle("some")  # type: ignore[arg-type]


def test_base_validation():
    with pytest.raises(ValueError, match=r"Image.from_debian_base: python_version got \(2, 7\); expected a Python 3"):
        Image.from_debian_base(python_version=(2, 7))
    with pytest.raises(ValueError, match=r"python_version got 3.12; expected a \(major, minor\) tuple"):
        Image.from_debian_base(python_version=3.12)  # type: ignore[arg-type]
    with pytest.raises(
        ValueError,
        match=r"Image.from_debian_base: platform got 'windows/amd64'; accepted: \['linux/amd64', 'linux/arm64'\]",
    ):
        Image.from_debian_base(platform=("windows/amd64",))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Image.from_base: image_uri got an empty string"):
        Image.from_base("")
    with pytest.raises(TypeError, match="Image.from_base: image_uri got NoneType None; expected a non-empty string"):
        Image.from_base(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Image.from_uv_script: name got NoneType"):
        Image.from_uv_script("s.py", name=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="registry_secret got int 5"):
        Image.from_debian_base(registry_secret=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Image.clone: addl_layer got str 'x'"):
        Image.from_base("a").clone(addl_layer="x")  # type: ignore[arg-type]
