"""Docs examples: every code example of the "Build tasks" pages, run on the local runtime."""
