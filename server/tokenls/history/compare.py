"""``tokenls diff``: each prompt's total on two sides, its delta, and what changed it.

Sides follow git's conventions: no revision is ``HEAD`` against the work tree, one is that
revision against the work tree, two (or ``A..B``) are between them, and ``A...B`` is from
their merge base to ``B``. Prompts are paired across renames (``git diff -M``), and so are
the files they reference, so a renamed reference is the same reference, grown or not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from tokenls.history.costs import CommitSide, PromptCost, Side, Signature, WorkTreeSide
from tokenls.history.git import Repository
from tokenls.history.git_hardening import GitError, check_revision
from tokenls.history.object_reader import ObjectReader
from tokenls.tree.prompts import PromptChecker


@dataclass(frozen=True, slots=True)
class Revisions:
    """The two sides asked for: a commit each, or None for the work tree."""

    base: str
    base_label: str
    head: str | None
    head_label: str

    @property
    def title(self) -> str:
        return f"{self.base_label}..{self.head_label}" if self.head else self.base_label


def revisions(repo: Repository, given: Sequence[str]) -> Revisions:
    """The sides ``tokenls diff`` compares, from its revision arguments (git's rules)."""
    for text in given:
        check_revision(text)
    if len(given) > 2:
        raise GitError("at most two revisions")
    if len(given) == 2:
        first, second = given
        return Revisions(repo.commit(first), first, repo.commit(second), second)
    text = given[0] if given else "HEAD"
    for separator in ("...", ".."):
        if separator in text:
            left, _, right = text.partition(separator)
            left, right = left or "HEAD", right or "HEAD"
            head = repo.commit(right)
            base = repo.commit(left)
            if separator == "...":
                base = repo.merge_base(base, head)
                left = f"merge-base({left}, {right})"
            return Revisions(base, left, head, right)
    return Revisions(repo.commit(text), text, None, "work tree")


@dataclass(frozen=True, slots=True)
class Change:
    """One reason a total moved: the prompt's own text, or one reference."""

    label: str  # "own text", or the reference (a path in the tree, URL or variable)
    kind: str  # own, file, url or variable
    change: str  # added, removed, grown or shrunk
    before: int
    after: int

    @property
    def delta(self) -> int:
        return self.after - self.before


@dataclass(frozen=True, slots=True)
class PromptDelta:
    """A prompt on both sides; a side where it does not exist has no cost."""

    path: str
    old_path: str | None  # its name on the base side when renamed
    status: str  # added, deleted, renamed, modified or unchanged
    before: PromptCost | None
    after: PromptCost | None
    changes: tuple[Change, ...] = ()

    @property
    def before_tokens(self) -> int:
        return self.before.tokens if self.before else 0

    @property
    def after_tokens(self) -> int:
        return self.after.tokens if self.after else 0

    @property
    def delta(self) -> int:
        return self.after_tokens - self.before_tokens

    @property
    def percent(self) -> float | None:
        """The delta as a percentage of the base total; None without one."""
        if not self.before_tokens:
            return None
        return self.delta / self.before_tokens * 100


@dataclass(frozen=True, slots=True)
class Comparison:
    revisions: Revisions
    prompts: list[PromptDelta]
    unchanged: int  # prompts left out because nothing they read changed
    encodings: list[str] = field(default_factory=list)

    @property
    def before(self) -> int:
        return sum(p.before_tokens for p in self.prompts)

    @property
    def after(self) -> int:
        return sum(p.after_tokens for p in self.prompts)


def changes(
    before: PromptCost | None, after: PromptCost | None, renamed: Mapping[str, str] | None = None
) -> tuple[Change, ...]:
    """What moved the total: own text, then each reference added, removed, grown or
    shrunk; ``renamed`` (new name → old) pairs a renamed reference with itself."""
    found: list[Change] = []
    own_before = before.own if before else 0
    own_after = after.own if after else 0
    if own_before != own_after or (before is None) != (after is None):
        found.append(Change("own text", "own", _kind(own_before, own_after), own_before, own_after))
    old_refs = before.by_label() if before else {}
    new_refs = after.by_label() if after else {}
    old_name = {new: old for new, old in (renamed or {}).items() if old in old_refs}
    matched: set[str] = set()
    for label, ref in new_refs.items():
        was = old_refs.get(label) or old_refs.get(old_name.get(label, ""))
        if was is not None:
            matched.add(was.label)
        tokens = was.tokens if was else 0
        if was is None or tokens != ref.tokens:
            change = "added" if was is None else _kind(tokens, ref.tokens)
            shown = label if was is None or was.label == label else f"{was.label} → {label}"
            found.append(Change(shown, ref.kind, change, tokens, ref.tokens))
    for label, ref in old_refs.items():
        if label not in matched:
            found.append(Change(label, ref.kind, "removed", ref.tokens, 0))
    return tuple(found)


def _kind(before: int, after: int) -> str:
    if before == after:
        return "unchanged"
    return "grown" if after > before else "shrunk"


def compare(
    repo: Repository,
    given: Sequence[str],
    paths: Sequence[str] = (),
    *,
    encoding: str | None = None,
    model: str | None = None,
    everything: bool = False,
) -> Comparison:
    """Every prompt under ``paths`` (tree paths; none: all) on both sides of ``given``;
    prompts whose inputs are the same on both sides only with ``everything``."""
    sides = revisions(repo, given)
    renamed = repo.renames(sides.base, sides.head)
    memo: dict[Signature, PromptCost] = {}
    with repo.objects() as objects:
        base = _commit_side(repo, objects, sides.base, sides.base_label, memo, encoding, model)
        try:
            if sides.head is not None:
                head: Side = _commit_side(
                    repo, objects, sides.head, sides.head_label, memo, encoding, model
                )
            else:
                checker = PromptChecker(repo.top, encoding, model)
                head = WorkTreeSide(repo.top, len(sides.base), checker, memo)
            try:
                return _compare(sides, base, head, renamed, paths, everything)
            finally:
                head.close()
        finally:
            base.close()


def _commit_side(
    repo: Repository,
    objects: ObjectReader,
    commit: str,
    label: str,
    memo: dict[Signature, PromptCost],
    encoding: str | None,
    model: str | None,
) -> CommitSide:
    tree = objects.commit_info(commit).tree
    listing = repo.files(commit)
    return CommitSide(
        label, commit, objects, tree, memo, listing=listing, encoding=encoding, model=model
    )


def _compare(
    sides: Revisions,
    base: Side,
    head: Side,
    renamed: Mapping[str, str],
    paths: Sequence[str],
    everything: bool,
) -> Comparison:
    before = set(base.prompts())
    after = set(head.prompts())
    pairs: list[tuple[str | None, str | None]] = []
    for new in sorted(after):
        old = renamed.get(new, new)
        pairs.append((old if old in before else None, new))
    paired = {old for old, _ in pairs if old is not None}
    pairs += [(old, None) for old in sorted(before - paired)]
    found: list[PromptDelta] = []
    unchanged = 0
    encodings: set[str] = set()
    for old, new in pairs:
        if not (_selected(old, paths) or _selected(new, paths)):
            continue
        same = (
            old is not None
            and old == new
            and base.inputs(old).signature == head.inputs(new).signature
        )
        if same and not everything:
            unchanged += 1
            continue
        was = base.cost(old) if old is not None else None
        now = head.cost(new) if new is not None else None
        if was is None and now is None:
            continue
        for cost in (was, now):
            if cost is not None:
                encodings.add(cost.encoding)
        status = _status(old, new, was, now, same)
        shown = new if new is not None else old
        assert shown is not None
        moved = changes(was, now, renamed)
        found.append(PromptDelta(shown, old if old != new else None, status, was, now, moved))
    found.sort(key=lambda p: (-abs(p.delta), p.path))
    return Comparison(sides, found, unchanged, sorted(encodings))


def _status(
    old: str | None,
    new: str | None,
    was: PromptCost | None,
    now: PromptCost | None,
    same: bool,
) -> str:
    if was is None:
        return "added"
    if now is None:
        return "deleted"
    if old != new:
        return "renamed"
    return "unchanged" if same or was == now else "modified"


def _selected(path: str | None, filters: Sequence[str]) -> bool:
    if path is None:
        return False
    if not filters:
        return True
    return any(not f or path == f or path.startswith(f.rstrip("/") + "/") for f in filters)
