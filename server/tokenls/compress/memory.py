"""Which errors were seen before: error templates remembered across runs, in the disk cache.

A failure or error that recurs in every CI run reads differently from a new one; the
output marks each as ``[new]`` or ``[seen in N earlier logs]``. Templates (not raw lines)
are remembered, so timestamps and ids do not make an old error look new.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from tokenls.cache import TokenCache
from tokenls.compress.classify import Level
from tokenls.compress.stream import Unit
from tokenls.compress.templates import TemplateIndex

_DIGITS = str.maketrans("0123456789", "0000000000")


class ErrorMemory:
    def __init__(self, cache: TokenCache) -> None:
        self.cache = cache

    def annotator(self, units: Sequence[Unit], templates: TemplateIndex) -> Callable[[Unit], str]:
        seen = {id(u): self._seen(_key(u, templates)) for u in units if u.level <= Level.HIGH}

        def annotate(unit: Unit) -> str:
            n = seen.get(id(unit))
            if n is None:
                return ""
            return " [new]" if n == 0 else f" [seen in {n} earlier log{'s' if n != 1 else ''}]"

        return annotate

    def record(self, units: Sequence[Unit], templates: TemplateIndex) -> None:
        for key in {_key(u, templates) for u in units if u.level <= Level.HIGH}:
            self.cache.put(key, self._seen(key) + 1)

    def _seen(self, key: str) -> int:
        value, _ = self.cache.get(key)
        return int(value) if isinstance(value, int) else 0


def _key(unit: Unit, templates: TemplateIndex) -> str:
    if unit.is_block:
        text = unit.lines[unit.context_before].strip().translate(_DIGITS)
    else:
        text = templates.template(unit.cluster, unit.lines[0])
    return "errmem:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
