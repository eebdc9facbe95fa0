"""The docs pages' code examples, as the docs write them (fragments completed minimally).

One module per page (or per example program of a page). The tests next to this package run
them through ``flyte.run`` and check the documented outputs and behaviour.
"""
