"""Weights & Biases for Flyte tasks.

- :class:`Wandb`: a task link to a wandb run (needs nothing but ``flyte``).
- :func:`wandb_init`: open a wandb run for each execution of a task, link the task to it, and
  finish it with the task's outcome (needs ``pip install 'flyteplugins-wandb[wandb]'``).
- :func:`wandb_config`: project, entity, mode, tags, ... for every task of a run or of a block,
  through the custom context.

Importing this package never imports ``wandb``.
"""

from flyteplugins.wandb._config import WandbConfig, get_wandb_context, wandb_config
from flyteplugins.wandb._link import Wandb
from flyteplugins.wandb._task_run import get_wandb_run, get_wandb_run_dir, wandb_init

__all__ = [
    "Wandb",
    "WandbConfig",
    "get_wandb_context",
    "get_wandb_run",
    "get_wandb_run_dir",
    "wandb_config",
    "wandb_init",
]
