"""Runs, actions and deployed tasks, read from the local journal and task registry.

Locally ``flyte.remote`` reads ``$FLYTE_HOME``: ``Run.get(name)``, ``Run.listall()``, then
``run.phase``, ``run.outputs()``, ``run.actions()`` and ``run.logs()``; and deployed tasks
(``flyte deploy``) through ``Task.get("env.task", auto_version="latest")``.
"""

from flyte._runtime.journal import CacheEntry
from flyte._runtime.run import Action, ActionOutputs, Run, clear_cache, list_cache
from flyte.remote._task import Task, TaskDetails, TaskReference

__all__ = [
    "Action",
    "ActionOutputs",
    "CacheEntry",
    "Run",
    "Task",
    "TaskDetails",
    "TaskReference",
    "clear_cache",
    "list_cache",
]
