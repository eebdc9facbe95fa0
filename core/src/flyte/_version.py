# One version for every package in this repository. The `+mono` local label can never be
# satisfied from a package registry, so plugins pinned to it never pull the upstream `flyte`.
__version__ = "2.0.0+mono"
