"""Names and text from a repository, made safe for each place they are written to.

A file name is untrusted input: it may hold an escape sequence that recolours or rewrites
the terminal, a newline that forges another output line or workflow command, or bytes that
are not UTF-8. Each output has one rule, here:

- a terminal (text output, standard error): a name is quoted the way git prints it
  (``"a\\033b.md"``: C-style, each unsafe byte in octal) when it holds a control
  character, a bidirectional override, a line separator, a byte that is not UTF-8, ``"``
  or ``\\``; other text shows the same escapes, unquoted;
- JSON: a name is exact; one that is not valid UTF-8 is its quoted form plus
  ``"<key>_quoted": true``, and any other stray surrogate is written as a JSON escape, so a
  document is always valid UTF-8;
- GitHub workflow commands: the runner's own escapes, for message data and for property
  values;
- SARIF: ``artifactLocation.uri`` percent-encodes the name's bytes (RFC 3986).
"""

from __future__ import annotations

import json
import os
import re
from typing import Any
from urllib.parse import quote

# Characters a terminal acts on or that hide what follows: C0 and C1 controls and DEL,
# bidirectional marks and overrides, line and paragraph separators, and surrogates (a
# name's bytes that are not UTF-8, as ``os.fsdecode`` keeps them).
_UNSAFE = "\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff"
_UNSAFE_RE = re.compile(f"[{_UNSAFE}]")
_QUOTE_RE = re.compile(f'[{_UNSAFE}"\\\\]')
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_NAMED = {"\a": "a", "\b": "b", "\t": "t", "\n": "n", "\v": "v", "\f": "f", "\r": "r"}
_NAMED.update({'"': '"', "\\": "\\"})


def quote_name(name: str) -> str:
    """``name`` for a terminal: unchanged when safe, else git's C-style quoted form."""
    if _QUOTE_RE.search(name) is None:
        return name
    return '"' + _QUOTE_RE.sub(_escape, name) + '"'


def visible(text: str) -> str:
    """Free text (a message, a heading) for a terminal: unsafe characters as escapes."""
    return _UNSAFE_RE.sub(_escape, text) if _UNSAFE_RE.search(text) else text


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return "\\" + named
    return "".join(f"\\{byte:03o}" for byte in name_bytes(char))


def name_bytes(name: str) -> bytes:
    """The bytes a name stands for (``os.fsdecode`` kept the non-UTF-8 ones as surrogates)."""
    try:
        return os.fsencode(name)
    except UnicodeEncodeError:  # a surrogate no file system decoding makes
        return name.encode("utf-8", "surrogatepass")


def is_utf8(name: str) -> bool:
    return _SURROGATE_RE.search(name) is None


def portable_name(name: str) -> str:
    """``name`` where text must be UTF-8 (JSON, workflow commands): exact when it is valid
    UTF-8, else its quoted form."""
    return name if is_utf8(name) else quote_name(name)


def json_name(name: str, key: str = "path") -> dict[str, Any]:
    """``{key: name}`` for a JSON object; a name that is not UTF-8 is its quoted form,
    marked by ``{key}_quoted``."""
    if is_utf8(name):
        return {key: name}
    return {key: quote_name(name), f"{key}_quoted": True}


def json_text(document: Any, *, indent: int | None = None) -> str:
    """``document`` as JSON that is valid UTF-8 whatever strings it holds."""
    text = json.dumps(document, ensure_ascii=False, indent=indent)
    if _SURROGATE_RE.search(text) is None:
        return text
    return _SURROGATE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def workflow_data(text: str) -> str:
    """The message of a GitHub workflow command, escaped as the runner unescapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def workflow_property(text: str) -> str:
    """A property value of a workflow command (``file=...``): also ``:`` and ``,``."""
    return workflow_data(text).replace(":", "%3A").replace(",", "%2C")


def uri_path(name: str) -> str:
    """A relative path as a URI reference: its bytes percent-encoded (RFC 3986), ``/`` kept."""
    return quote(name_bytes(name), safe="/")
