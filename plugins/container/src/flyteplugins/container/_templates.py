"""``{{.inputs.<name>}}`` references in a container task's command and arguments."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

#: ``{{.inputs.name}}`` (spaces inside the braces allowed); a name is anything up to the braces,
#: so input names such as ``script.py`` work too.
TEMPLATE = re.compile(r"\{\{\s*\.inputs\.([^{}\s]+)\s*\}\}")


def referenced_inputs(strings: Iterable[str]) -> list[tuple[int, str]]:
    """``(position, input name)`` for every template in ``strings``, in order."""
    return [(i, m.group(1)) for i, s in enumerate(strings) for m in TEMPLATE.finditer(s)]


def render(strings: Iterable[str], text_of: Callable[[str], str]) -> list[str]:
    """Replace every template with ``text_of(name)``; everything else is kept verbatim (no quoting)."""
    return [TEMPLATE.sub(lambda m: text_of(m.group(1)), s) for s in strings]
