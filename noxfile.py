"""Developer sessions: `nox -l` lists them.

Each package's tests run in a venv holding the core plus that package only, so a dependency a
package forgets to declare fails here.
"""

from __future__ import annotations

from pathlib import Path

import nox

ROOT = Path(__file__).parent
PLUGINS = sorted(p.parent.name for p in (ROOT / "plugins").glob("*/pyproject.toml"))
TEST_TOOLS = ["pytest>=8", "pytest-asyncio>=0.26"]
#: The fixtures the suites share (S3 on loopback, headless Chromium); a test-only package.
FIXTURES = ["-e", "tests/packages/flyte_fixtures"]

nox.options.sessions = ["lint", "tests_core", "tests_plugin", "tests_cross"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    session.install("mypy>=1.10", "-e", "core")
    session.run("mypy")


@nox.session
def tests_core(session: nox.Session) -> None:
    session.install("-e", "core[dataframe,s3]", *TEST_TOOLS, *FIXTURES, "pydantic>=2", "anyio>=4", "aioresult>=1.0",
                    "nest_asyncio>=1.6", "moto[server]", "boto3", "dask[dataframe]")
    session.run("pytest", "-q", "core/tests", *session.posargs, env={"FLYTE_STRICT_PLUGINS": "1"})


@nox.session
@nox.parametrize("plugin", PLUGINS or ["none"])
def tests_plugin(session: nox.Session, plugin: str) -> None:
    if plugin == "none":
        session.skip("no plugins yet")
    # Each plugin declares what its tests need beyond pytest as its `test` extra.
    session.install("-e", "core", "-e", f"plugins/{plugin}[test]", *TEST_TOOLS, *FIXTURES)
    session.run("pytest", "-q", f"plugins/{plugin}/tests", *session.posargs, env={"FLYTE_STRICT_PLUGINS": "1"})


@nox.session
def tests_cross(session: nox.Session) -> None:
    """Docs examples, entry-point loading of separately installed packages, end-to-end runs."""
    session.install("-e", "core", *TEST_TOOLS, "-r", "requirements-dev.txt")
    # The docs tests exercise every plugin, and the entry-point tests the test packages.
    for pkg in [*sorted((ROOT / "tests" / "packages").iterdir()), *(ROOT / "plugins" / p for p in PLUGINS)]:
        session.install("-e", str(pkg))
    session.run("pytest", "-q", "tests", *session.posargs, env={"FLYTE_STRICT_PLUGINS": "1"})


@nox.session
def examples(session: nox.Session) -> None:
    """Run every program under examples/ on the local runtime."""
    session.install("-e", "core")
    for example in sorted((ROOT / "examples").glob("*.py")):
        session.run("python", str(example))


@nox.session
def bench(session: nox.Session) -> None:
    session.install("-e", "core[dataframe]")
    for script in sorted((ROOT / "bench").glob("bench_*.py")):
        session.run("python", str(script), *session.posargs)
