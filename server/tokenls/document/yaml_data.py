"""YAML a repository supplies (frontmatter, variables files), parsed as hostile input.

``yaml.safe_load`` builds only plain data, yet an alias stands for a whole node, so a few
hundred bytes of aliases nested nine deep ("billion laughs") expand into billions of
values; deep nesting exhausts the stack; and an impossible date or a 5000-digit number
raise plain ``ValueError``s. Here an alias is refused where the parser meets it (before
anything is expanded), nesting is bounded, and every failure is one ``YamlRefused``.
"""

from __future__ import annotations

import functools
from typing import Any

MAX_DEPTH = 64  # nested mappings and lists; prompt metadata needs a handful


class YamlRefused(ValueError):
    """YAML that is not loaded: why, and the 0-based line of the text when known."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


def load_yaml(text: str) -> Any:
    """The plain data ``text`` holds; ``YamlRefused`` for invalid YAML, an alias, nesting
    deeper than ``MAX_DEPTH``, or a value Python cannot hold."""
    import yaml  # only files with YAML pay for the parser

    loader = _loader()(text)
    try:
        return loader.get_single_data()
    except YamlRefused:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlRefused("invalid YAML", mark.line if mark else None) from None
    except yaml.YAMLError:
        raise YamlRefused("invalid YAML") from None
    except (ValueError, OverflowError, RecursionError) as exc:  # an impossible date, a huge int
        reason = str(exc).splitlines()[0][:80] if str(exc) else type(exc).__name__
        raise YamlRefused(f"a value YAML cannot hold ({reason})") from None
    finally:
        loader.dispose()


@functools.cache
def _loader() -> type:
    import yaml

    class Loader(yaml.SafeLoader):
        """``SafeLoader`` composing no alias and no node deeper than ``MAX_DEPTH``."""

        depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            mark = self.peek_event().start_mark
            if self.check_event(yaml.AliasEvent):
                raise YamlRefused("YAML aliases are not supported", mark.line)
            if self.depth >= MAX_DEPTH:
                raise YamlRefused(f"YAML nested deeper than {MAX_DEPTH} levels", mark.line)
            self.depth += 1
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    return Loader
