"""``tokenls log PATH``: a prompt's total through its history, commit by commit.

The commits are those on HEAD's first-parent line that changed the prompt (renames
followed), plus those that changed a file it reads there (a referenced file grown, a config
file) when that moved its total. Each is counted in its own tree. It stays fast on long
histories: one ``git log`` a pass and one ``git cat-file --batch`` process for every object,
one staging folder rewritten only where a commit differs, and a commit whose inputs match
an earlier one's is not counted again (nor is any text counted twice: counts are cached by
content digest).
"""

from __future__ import annotations

from dataclasses import dataclass

from tokenls.config import ConfigError
from tokenls.history.costs import CommitSide, PromptCost
from tokenls.history.git import LogEntry, Repository
from tokenls.history.git_hardening import GitError
from tokenls.history.object_reader import ObjectReader

_PASSES = 3  # rounds of looking for commits that changed a file the prompt reads
_MAX_PATHS = 2000  # paths one ``git log`` is asked about


@dataclass(frozen=True, slots=True)
class Point:
    """The prompt at one commit."""

    commit: str
    date: str
    subject: str
    path: str  # the prompt's name there
    cost: PromptCost | None  # None: not there (deleted), binary, or its config broken
    delta: int | None  # against the next older point; None for the oldest
    own_change: bool  # the prompt itself changed here (else a file it reads did)
    error: str | None = None

    @property
    def tokens(self) -> int | None:
        return self.cost.tokens if self.cost is not None else None


@dataclass(frozen=True, slots=True)
class History:
    path: str
    points: list[Point]  # newest first


@dataclass(slots=True)
class _Seen:
    name: str
    cost: PromptCost | None
    error: str | None
    paths: frozenset[str]


def history(
    repo: Repository,
    path: str,
    *,
    encoding: str | None = None,
    model: str | None = None,
    limit: int | None = None,
) -> History:
    """The prompt at ``path`` (a path in the tree) through HEAD's history, newest first;
    ``limit``: only its last ``limit`` changes."""
    own = repo.history([path], follow=True, limit=limit)
    if not own:
        raise GitError(f"no commit on HEAD's first-parent line changed {path}")
    with repo.objects() as objects:
        first = own[0]
        side = CommitSide("", first.commit, objects, first.tree, {}, encoding=encoding, model=model)
        try:
            walk = _Walk(side, objects, own, path)
            order = walk.around(repo)
            return History(path, walk.points(order, objects))
        finally:
            side.close()


class _Walk:
    """The commits of one prompt's history, each counted in its own tree."""

    def __init__(
        self, side: CommitSide, objects: ObjectReader, own: list[LogEntry], path: str
    ) -> None:
        self.side = side
        self.objects = objects
        self.own = own
        self.mine = {e.commit for e in own}
        self.seen: dict[str, _Seen] = {}
        self.visit(own[0], own[0].name or path)
        # What the newest commit read is what the others most likely read: read it ahead
        # for all of them, a batch a depth, instead of one object at a time.
        names = {e.name or path for e in own}
        self.read_ahead(own[1:], names)
        for entry in own[1:]:
            self.visit(entry, entry.name or path)

    def read_ahead(self, entries: list[LogEntry], names: set[str]) -> None:
        paths = names.union(*(s.paths for s in self.seen.values()))
        self.objects.read_paths([e.tree for e in entries], sorted(paths))

    def visit(self, entry: LogEntry, name: str) -> None:
        side = self.side
        side.retree(entry.commit, entry.tree)
        cost, error = None, None
        try:
            cost = side.cost(name)
        except ConfigError as exc:
            error = "; ".join(str(p) for p in exc.problems)
        except OSError as exc:
            error = exc.strerror or str(exc)
        paths = frozenset(side.inputs(name).entries)
        self.seen[entry.commit] = _Seen(name, cost, error, paths)

    def around(self, repo: Repository) -> list[str]:
        """Also visit the commits that changed a file the prompt reads; the commits in
        order, newest first."""
        order = [e.commit for e in self.own]
        searched = {self.seen[c].name for c in order}
        for _ in range(_PASSES):
            wanted = set().union(*(s.paths for s in self.seen.values())) - searched
            if not wanted or len(searched) >= _MAX_PATHS:
                break
            searched |= set(sorted(wanted)[: _MAX_PATHS - len(searched)])
            order = self._between(repo.history(sorted(searched), follow=False, limit=None))
        return order

    def _between(self, listed: list[LogEntry]) -> list[str]:
        """Visit ``listed`` (newest first) down to the prompt's oldest change shown, each
        commit with the prompt's name there; the visited commits in order."""
        oldest = self.own[-1].commit
        cut = next((i for i, e in enumerate(listed) if e.commit == oldest), None)
        if cut is None or not self.mine <= {e.commit for e in listed}:
            return [e.commit for e in self.own]  # git listed otherwise: the prompt's own
        fresh = [e for e in listed[: cut + 1] if e.commit not in self.seen]
        self.read_ahead(fresh, {s.name for s in self.seen.values()})
        name = None
        for entry in reversed(listed[: cut + 1]):
            if entry.commit in self.mine:
                name = self.seen[entry.commit].name
            elif entry.commit not in self.seen and name is not None:
                self.visit(entry, name)
        return [e.commit for e in listed[: cut + 1] if e.commit in self.seen]

    def points(self, order: list[str], objects: ObjectReader) -> list[Point]:
        """The rows shown, newest first: every change of the prompt, and a change of what
        it reads when that moved its total."""
        kept: list[tuple[str, _Seen]] = []
        last: int | None = None
        for commit in reversed(order):  # oldest first
            state = self.seen[commit]
            tokens = state.cost.tokens if state.cost is not None else None
            if commit in self.mine or tokens != last:
                kept.append((commit, state))
                last = tokens
        objects.read_ahead([commit for commit, _ in kept])
        points: list[Point] = []
        previous: int | None = None
        for index, (commit, state) in enumerate(kept):
            info = objects.commit_info(commit)
            tokens = state.cost.tokens if state.cost is not None else None
            delta = None if index == 0 else (tokens or 0) - (previous or 0)
            points.append(
                Point(
                    commit,
                    info.date,
                    info.subject,
                    state.name,
                    state.cost,
                    delta,
                    commit in self.mine,
                    state.error,
                )
            )
            previous = tokens
        points.reverse()
        return points
