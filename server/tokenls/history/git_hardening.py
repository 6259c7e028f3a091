"""What every git command of the history shares: options that harden it against a
repository's own config, the check on a revision before git sees it, and the one error.

git runs with the hardening of ``tokenls.files.gitignore`` (no fsmonitor, no hooks), never
through a shell, with every transport refused (a partial clone cannot fetch a missing object
over the network), no signature checks (``gpg.program`` is a program a repository's config
could name), literal pathspecs, and revision arguments checked before git sees them.
"""

from __future__ import annotations

import re

# Global options for every command here, after tokenls.files.gitignore's own settings.
HARDENING = (
    "-c",
    "protocol.allow=never",
    "-c",
    "log.showSignature=false",
    "-c",
    "core.quotePath=false",
    "--no-pager",
    "--literal-pathspecs",
    "--no-replace-objects",
)
OID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")


class GitError(Exception):
    """git could not answer (no repository, an unknown revision): one line for the user."""


def check_revision(text: str) -> str:
    """``text`` when it may be handed to git as a revision, else ``GitError``: an option
    (a leading ``-``) or a line break could make git read something else."""
    if not text or text.startswith("-") or any(c in text for c in "\0\n\r"):
        raise GitError(f"not a revision: {text!r}")
    return text
