import dataclasses
from pathlib import Path

import pytest

import flyte
from flyte._model.secret import Secret, SecretRequest, env_var_name, normalize_secrets


def test_public_names():
    assert flyte.Secret is Secret and flyte.SecretRequest is SecretRequest


def test_default_env_var_names():
    assert Secret("openai-api-key").as_env_var == "OPENAI_API_KEY"
    assert Secret("token", group="github").as_env_var == "GITHUB_TOKEN"
    assert Secret("my.secret").env_var == "MY_SECRET"
    assert Secret("1password").env_var == "_1PASSWORD"
    assert Secret("k", as_env_var="CUSTOM").as_env_var == "CUSTOM"
    assert env_var_name("a-b c") == "A_B_C"


def test_mounted_secret_keeps_no_env_var_but_resolves_by_derived_name(monkeypatch):
    secret = Secret("cert", mount="/etc/flyte/secrets")
    assert secret.mount == Path("/etc/flyte/secrets") and secret.as_env_var is None
    assert secret.env_var == "CERT"
    monkeypatch.setenv("CERT", "pem")
    assert secret.resolve() == "pem"


def test_resolve_from_environment(monkeypatch):
    monkeypatch.setenv("MY_ENV", "s3cr3t")
    monkeypatch.delenv("MISSING_SECRET", raising=False)
    assert Secret("api_key", as_env_var="MY_ENV").resolve() == "s3cr3t"
    assert Secret("missing-secret").resolve() is None


def test_secret_is_frozen_and_hashable():
    secret = Secret("a")
    assert {secret, Secret("a")} == {secret}
    with pytest.raises(dataclasses.FrozenInstanceError):
        secret.key = "b"  # type: ignore[misc]


def test_secret_validation():
    with pytest.raises(ValueError, match="Secret key: got ''; expected a non-empty string"):
        Secret("")
    with pytest.raises(ValueError, match="Secret key: got None"):
        Secret(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Secret group: got ''"):
        Secret("a", group="")
    with pytest.raises(ValueError, match="Secret as_env_var: got 'MY-VAR'; expected an environment variable name"):
        Secret("a", as_env_var="MY-VAR")
    with pytest.raises(ValueError, match="Secret mount: got 'relative/dir'; expected an absolute path"):
        Secret("a", mount="relative/dir")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Secret mount: got int 5"):
        Secret("a", mount=5)  # type: ignore[arg-type]


def test_secret_request_as_the_docs_write_it(monkeypatch):
    request = flyte.SecretRequest(secrets={"api_key": "MY_ENV"})
    assert request.secrets == (Secret("api_key", as_env_var="MY_ENV"),)
    monkeypatch.setenv("MY_ENV", "v")
    assert request.resolve() == {"MY_ENV": "v"}
    # the remote-tasks page's value is not a valid variable name; it is normalised like derived names
    docs = flyte.SecretRequest(secrets={"api_key": "my-secret-key"})
    assert docs.secrets[0].as_env_var == "MY_SECRET_KEY"


def test_secret_request_as_normaliser():
    assert list(SecretRequest("a")) == [Secret("a")]
    assert len(SecretRequest(["a", Secret("b", group="g")])) == 2
    assert not SecretRequest() and SecretRequest().secrets == ()
    request = SecretRequest(["a"])
    assert SecretRequest.from_value(request) is request
    assert SecretRequest.from_value("x").secrets == (Secret("x"),)
    assert SecretRequest(request) == request
    assert SecretRequest("a").describe() == "secret a -> $A"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ()),
        ("name", (Secret("name"),)),
        (Secret("s"), (Secret("s"),)),
        (["a", Secret("b")], (Secret("a"), Secret("b"))),
        (("a", "a"), (Secret("a"),)),
        ({"k": "ENV"}, (Secret("k", as_env_var="ENV"),)),
        (SecretRequest(["a"]), (Secret("a"),)),
        ([SecretRequest("a"), "b"], (Secret("a"), Secret("b"))),
    ],
)
def test_normalize_secrets(value, expected):
    assert normalize_secrets(value) == expected


def test_normalize_secrets_errors():
    with pytest.raises(TypeError, match=r"secrets: got int 5; accepted: a secret name, flyte.Secret"):
        normalize_secrets(5)
    with pytest.raises(TypeError, match=r"secrets: got an element 3 of type int"):
        normalize_secrets(["a", 3])
    with pytest.raises(ValueError, match="secrets: mapping value for 'k' is ''"):
        normalize_secrets({"k": ""})
    with pytest.raises(ValueError, match="secrets: mapping key 1 is not a non-empty secret name"):
        normalize_secrets({1: "X"})
    with pytest.raises(ValueError, match=r"both use the environment variable TOKEN"):
        normalize_secrets([Secret("a", as_env_var="TOKEN"), Secret("b", as_env_var="TOKEN")])
