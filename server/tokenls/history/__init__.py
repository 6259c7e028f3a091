"""Token cost across revisions: ``tokenls diff``, ``tokenls log`` and ``check --against``.

Each revision's prompts are counted with their references resolved inside that revision's
own tree, read from git's objects (never from the work tree), by the same analysis ``check``
runs, so a figure here equals what ``check`` would have said on that commit.
"""
