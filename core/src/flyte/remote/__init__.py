"""Runs and actions recorded by past and current runs, read from the local journal.

Locally ``flyte.remote`` reads ``$FLYTE_HOME/runs.db``: ``Run.get(name)``, ``Run.listall()``,
then ``run.phase``, ``run.outputs()``, ``run.actions()`` and ``run.logs()``.
"""

from flyte._runtime.journal import CacheEntry
from flyte._runtime.run import Action, ActionOutputs, Run, clear_cache, list_cache

__all__ = ["Action", "ActionOutputs", "CacheEntry", "Run", "clear_cache", "list_cache"]
