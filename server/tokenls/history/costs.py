"""What each prompt costs on one side of a comparison: a commit, or the work tree.

A side counts a prompt with ``PromptChecker`` — the analysis ``check`` runs — reading its
references from that side's own tree: a commit's inputs are written into a staging folder
first (``tokenls.history.staging``), the work tree is read where it is. A cost is kept by
the prompt's inputs (``tokenls.history.inputs``), so a prompt whose inputs did not change
between two sides or two commits is counted once, and the same text is never counted twice
either: counts are cached by content digest, as everywhere in tokenls.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tokenls.analysis.analyse import Analysis
from tokenls.config.trust import user_config_path
from tokenls.files.reading import SNIFF_BYTES
from tokenls.files.regular import read_regular
from tokenls.history.git_objects import Entry
from tokenls.history.inputs import InputFinder, Inputs, config_table, strings_in
from tokenls.history.object_reader import ObjectReader
from tokenls.history.staging import Staging
from tokenls.history.trees import CONFIG_NAMES, CommitTree, Tree, WorkTree
from tokenls.tree.prompts import PromptChecker

Signature = frozenset[tuple[str, Entry | None]]


@dataclass(frozen=True, slots=True)
class ReferenceCost:
    """One counted reference: a file (by its path in the tree), URL or variable."""

    label: str
    kind: str  # file, url or variable
    tokens: int
    imports: tuple[str, ...] = ()  # files its @imports pulled in, counted in ``tokens``


@dataclass(frozen=True, slots=True)
class PromptCost:
    """A prompt's total as ``check`` computes it, and what it is made of."""

    tokens: int
    own: int
    exact: bool
    encoding: str
    budget: int | None
    references: tuple[ReferenceCost, ...]

    def by_label(self) -> dict[str, ReferenceCost]:
        return {r.label: r for r in self.references}


class Side:
    """One revision's prompts and their costs; subclasses say where files come from."""

    label: str
    commit: str | None
    tree: Tree

    def __init__(self, finder: InputFinder, memo: dict[Signature, PromptCost]) -> None:
        self.finder = finder
        self.memo = memo
        self._inputs: dict[str, Inputs] = {}

    def inputs(self, path: str) -> Inputs:
        known = self._inputs.get(path)
        if known is None:
            known = self._inputs[path] = self.finder.inputs(path)
        return known

    def prompts(self) -> list[str]:
        """The files ``check`` would take for prompts here (the ``include`` globs)."""
        checker = self.checker_for(None)
        found = []
        for path in self.tree.files():
            if not checker.is_prompt(self.where(path)):  # first: the work tree reads entries
                continue
            entry = self.tree.entry(path)
            if entry is not None and entry.is_file:
                found.append(path)
        return found

    def cost(self, path: str) -> PromptCost | None:
        """The prompt's cost here; None when it is absent, binary or too large to read."""
        inputs = self.inputs(path)
        if not inputs.present:
            return None
        known = self.memo.get(inputs.signature)
        if known is not None:
            return known
        entry = inputs.entries[path]
        assert entry is not None
        data = self.tree.data(entry)
        if data is None or b"\0" in data[:SNIFF_BYTES]:
            return None
        checker = self.prepare(inputs)
        analysed = checker.analysed(self.where(path), data)
        cost = cost_of(analysed.analysis, self.top)
        self.memo[inputs.signature] = cost
        return cost

    # -- where files are ---------------------------------------------------------------

    @property
    def top(self) -> Path:
        """The folder the tree's top is at (references are labelled from here)."""
        raise NotImplementedError

    def where(self, path: str) -> Path:
        return self.top.joinpath(*path.split("/"))

    def checker_for(self, inputs: Inputs | None) -> PromptChecker:
        raise NotImplementedError

    def prepare(self, inputs: Inputs) -> PromptChecker:
        """Make the inputs readable where the checker reads them; the checker to use."""
        return self.checker_for(inputs)

    def close(self) -> None:
        return None


class WorkTreeSide(Side):
    """The work tree, read in place: exactly what ``check`` sees."""

    label = "work tree"
    commit = None

    def __init__(
        self,
        top: Path,
        object_width: int,
        checker: PromptChecker,
        memo: dict[Signature, PromptCost],
    ) -> None:
        self.tree = WorkTree(top, object_width)
        super().__init__(InputFinder(self.tree, user_strings()), memo)
        self._top = Path(os.path.realpath(top))
        self._checker = checker

    @property
    def top(self) -> Path:
        return self._top

    def checker_for(self, inputs: Inputs | None) -> PromptChecker:
        return self._checker


class CommitSide(Side):
    """A commit's tree, its files written out as counts need them.

    With ``listing`` (every file, from ``git ls-tree``) every config file is written first
    and one checker serves the whole tree; without it (a history, commit after commit in
    one folder) the checker is renewed whenever the config files a prompt sees change.
    """

    def __init__(
        self,
        label: str,
        commit: str,
        objects: ObjectReader,
        tree: str,
        memo: dict[Signature, PromptCost],
        *,
        listing: dict[str, Entry] | None = None,
        encoding: str | None = None,
        model: str | None = None,
        below: str = "",
    ) -> None:
        self.label = label
        self.commit = commit
        self.tree = CommitTree(objects, tree, listing)
        super().__init__(InputFinder(self.tree, user_strings()), memo)
        self.staging = Staging()
        self.encoding = encoding
        self.model = model
        self.below = below  # the checker's root below the top, as ``check`` chose it
        self._checker: PromptChecker | None = None
        self._configs: tuple[tuple[str, Entry | None], ...] | None = None
        if listing is not None:
            configs = {p: e for p, e in listing.items() if p.rpartition("/")[2] in CONFIG_NAMES}
            self.staging.sync(configs, self.tree, only=False)

    @property
    def top(self) -> Path:
        return self.staging.root

    def retree(self, commit: str, tree: str) -> None:
        """Move on to another commit in the same staging folder (a history, step by step)."""
        self.commit = commit
        self.tree = CommitTree(self.tree.objects, tree)
        self.finder.tree = self.tree  # what it parsed stays known, by content
        self._inputs = {}

    def checker_for(self, inputs: Inputs | None) -> PromptChecker:
        every = self.tree.listing is not None or inputs is None  # all configs written
        configs = self._configs if every else inputs.configs()
        if self._checker is None or configs != self._configs:
            root = self.staging.root.joinpath(*[p for p in self.below.split("/") if p])
            self._checker = PromptChecker(root, self.encoding, self.model)
            self._configs = configs
        return self._checker

    def prepare(self, inputs: Inputs) -> PromptChecker:
        self.staging.sync(inputs.entries, self.tree, only=self.tree.listing is None)
        return self.checker_for(inputs)

    def close(self) -> None:
        self.staging.close()


def cost_of(analysis: Analysis, top: Path) -> PromptCost:
    """A prompt's cost from its analysis; files labelled by their path from ``top``."""
    references: dict[str, ReferenceCost] = {}
    for ref in analysis.references:
        if not ref.counts:
            continue
        kind = ref.reference.kind
        if kind == "file":
            label = _label(ref.target, top) or ref.reference.target
        elif kind == "variable":
            label = f"{{{{ {ref.reference.target} }}}}"
        else:
            label = ref.target or ref.reference.target
        imports = tuple(_label(p, top) or p for p in ref.imports)
        known = references.get(label)
        tokens = ref.tokens + (known.tokens if known else 0)
        references[label] = ReferenceCost(label, kind, tokens, imports)
    budget = analysis.budget.tokens if analysis.budget is not None else None
    return PromptCost(
        analysis.total.tokens,
        analysis.own.tokens,
        analysis.total.exact,
        analysis.encoding,
        budget,
        tuple(references.values()),
    )


def _label(target: str, top: Path) -> str | None:
    try:
        return Path(target).relative_to(top).as_posix()
    except ValueError:
        return None


def user_strings() -> tuple[str, ...]:
    """Strings of the user's own config that may name files in a tree (a variables file)."""
    path = user_config_path()
    try:
        data = read_regular(path, 4 * 1024 * 1024)
    except OSError:
        return ()
    return tuple(strings_in(config_table(data, path.name == "pyproject.toml")))
