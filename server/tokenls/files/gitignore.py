"""Which files a directory walk counts: git's own ignore rules, exactly.

Inside a git work tree git itself answers (``git ls-files --cached --others
--exclude-standard``): tracked files, plus untracked files that no rule excludes — nested
``.gitignore`` files with negations, ``.git/info/exclude`` and the global excludes file.
Without git, or outside a repository, the same rules are applied with pathspec's patterns in
git's order: the deepest ``.gitignore`` over shallower ones over ``info/exclude`` over the
global file, the last matching line within a file, and nothing inside an excluded directory
re-included. A directory named on the command line is always walked (as ripgrep and fd do),
even when a rule excludes it; the rules still apply to what is inside it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokenls.files.regular import read_regular

_GIT_TIMEOUT_S = 60
_IGNORE_FILE_MAX_BYTES = 16 * 1024 * 1024
_POINTER_MAX_BYTES = 64 * 1024  # a ``.git`` file or ``commondir``: one path
# A repository's own ``.git/config`` (an unpacked archive, a shared folder) could name a
# program for git to run: ``core.fsmonitor`` is started on every read of the index. A
# ``-c`` on the command line wins over every config file, so tokenls's git commands run
# none; the untracked-files cache an index may carry is not trusted either (the listing is
# read from the disk), and a bare repository is used only when named, never discovered.
_SAFE_CONFIG = (
    "core.fsmonitor=false",
    f"core.hooksPath={os.devnull}",
    "core.untrackedCache=false",
    "safe.bareRepository=explicit",
)


def walk_directory(root: Path, *, ignore: bool = True) -> list[Path]:
    """The files under ``root`` to count, sorted; symlinked directories are not followed."""
    if not ignore:
        found: list[str] = []
        _walk(root.resolve(), (), found, honour_rules=False)
    else:
        listed = _git_listed(root)
        if listed is not None:
            return listed
        found = []
        _walk(root.resolve(), _rules_above(root.resolve()), found, honour_rules=True)
    # The walk ran under the resolved root; each file is named under ``root`` as given.
    skip = len(str(root.resolve()).rstrip(os.sep)) + 1
    below = sorted((p[skip:] for p in found), key=lambda p: p.split(os.sep))
    return [root / p for p in below]


# -- asking git ---------------------------------------------------------------------------


def git_command(root: Path, *args: str) -> list[str] | None:
    """The argv of a git command in ``root`` under the settings above, for a caller that
    talks to git as it runs (``git cat-file --batch``); None without git. Never a shell."""
    git = shutil.which("git")
    if git is None:
        return None
    return [git, *_config_flags(), "-C", str(root), *args]


def run_git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes] | None:
    """A git command in ``root`` run to its end (output captured); None without git or when
    it cannot be started or times out."""
    command = git_command(root, *args)
    if command is None:
        return None
    try:
        return subprocess.run(
            command,
            capture_output=True,
            timeout=_GIT_TIMEOUT_S,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None


def _config_flags() -> list[str]:
    return [flag for setting in _SAFE_CONFIG for flag in ("-c", setting)]


def _git_listed(root: Path) -> list[Path] | None:
    """What git shows in ``root``; None outside a work tree, without git, or when the
    directory itself is ignored (git would then show nothing of it)."""
    listing = run_git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    if listing is None or listing.returncode != 0:
        return None
    prefix = run_git(root, "rev-parse", "--show-prefix")
    if prefix is not None and prefix.stdout.strip():  # below the top: is it ignored itself?
        ignored = run_git(root, "check-ignore", "-q", ".")
        if ignored is not None and ignored.returncode == 0:
            return None
    files: set[Path] = set()
    for raw in listing.stdout.split(b"\0"):
        if not raw:
            continue
        path = root / os.fsdecode(raw.rstrip(b"/"))
        if path.is_symlink():
            if not path.is_dir():  # a symlink to a directory is not followed
                files.add(path)
        elif path.is_dir():
            # A submodule or a nested repository has its own rules; a submodule that was
            # never checked out is an empty folder git would list again as "./".
            if os.path.lexists(path / ".git"):
                files.update(walk_directory(path))
        elif os.path.lexists(path):  # tracked but deleted files are gone
            files.add(path)
    return sorted(files, key=lambda p: p.parts)


# -- the same rules without git ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rules:
    """The patterns of one ignore file and the directory they are relative to."""

    base: Path
    patterns: tuple[_Pattern, ...]


def _walk(top: Path, rules: tuple[_Rules, ...], found: list[str], *, honour_rules: bool) -> None:
    """Files under ``top`` as strings (thousands of them: no Path made per entry). Folders
    wait on a stack, not in recursion: a tree may be thousands of folders deep."""
    pending = [(top, rules)]
    while pending:
        directory, rules = pending.pop()
        if honour_rules:
            own = _load(directory / ".gitignore", directory)
            if own is not None:
                rules = (*rules, own)
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name == ".git":
                continue
            is_dir = entry.is_dir(follow_symlinks=False)
            if honour_rules and rules and _ignored(Path(entry.path), is_dir, rules):
                continue
            if is_dir:
                pending.append((Path(entry.path), rules))
            elif not (entry.is_symlink() and os.path.isdir(entry.path)):
                found.append(entry.path)


def _ignored(path: Path, is_dir: bool, rules: tuple[_Rules, ...]) -> bool:
    for rules_file in reversed(rules):  # the deepest file decides first
        try:
            relative = path.relative_to(rules_file.base).as_posix()
        except ValueError:
            continue
        decision = _decide(relative + "/" if is_dir else relative, is_dir, rules_file.patterns)
        if decision is not None:
            return decision
    return False


def _decide(path: str, is_dir: bool, patterns: tuple[_Pattern, ...]) -> bool | None:
    """The last pattern that matches ``path`` itself (not only one of its parent directories)."""
    decision = None
    for pattern in patterns:
        match = pattern.regex.search(path)
        if match is None:
            continue
        if is_dir and pattern.inside_only and match.end() == len(path):
            continue  # `dir/**` matches what is inside dir, not dir itself
        decision = pattern.include
    return decision


@dataclass(frozen=True, slots=True)
class _Pattern:
    """One ignore line, as a regular expression that matches only the path itself.

    pathspec's patterns also match everything below a matching directory (the group
    ``ps_d`` marks where that directory ends); git decides each path on its own and
    never looks inside an excluded directory, so the match must end with the path.
    """

    regex: re.Pattern[str]
    include: bool
    inside_only: bool

    @classmethod
    def of(cls, compiled: Any) -> _Pattern:
        regex = compiled.regex
        if "ps_d" in regex.groupindex:
            regex = re.compile(f"(?:{regex.pattern})\\Z")
        return cls(regex, compiled.include, compiled.pattern.rstrip().endswith("/**"))


def _load(file: Path, base: Path) -> _Rules | None:
    try:  # a FIFO or a device named .gitignore is skipped, never waited on
        data = read_regular(file, _IGNORE_FILE_MAX_BYTES)
    except OSError:
        return None
    lines = data.decode("utf-8", "replace").splitlines()
    import pathspec  # only trees with ignore files need it

    spec = pathspec.GitIgnoreSpec.from_lines(lines)
    patterns = tuple(_Pattern.of(p) for p in spec.patterns if p.include is not None)
    return _Rules(base, patterns) if patterns else None


def _rules_above(root: Path) -> tuple[_Rules, ...]:
    """Global excludes, ``info/exclude`` and the ``.gitignore`` files from the repository's
    top down to ``root``'s parent: empty outside a repository, as git applies none there."""
    top = next((d for d in (root, *root.parents) if (d / ".git").exists()), None)
    if top is None:
        return ()
    rules: list[_Rules | None] = [_load(_global_excludes(), top)]
    git_dir = _git_dir(top)
    if git_dir is not None:
        rules.append(_load(git_dir / "info" / "exclude", top))
    for directory in reversed(root.parents):
        if directory == top or top in directory.parents:
            rules.append(_load(directory / ".gitignore", directory))
    return tuple(r for r in rules if r is not None)


def _git_dir(top: Path) -> Path | None:
    dot_git = top / ".git"
    if dot_git.is_dir():
        return dot_git
    line = _pointer(dot_git)  # a worktree or submodule: ".git" names the real directory
    if line is None or not line.startswith("gitdir:"):
        return None
    git_dir = (top / line.removeprefix("gitdir:").strip()).resolve()
    common = _pointer(git_dir / "commondir")
    if common:
        git_dir = (git_dir / common).resolve()
    return git_dir


def _pointer(file: Path) -> str | None:
    """The one line of a small file naming another path; None unless a regular file."""
    try:
        return read_regular(file, _POINTER_MAX_BYTES).decode("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None


def _global_excludes() -> Path:
    """git's ``core.excludesFile``, else its default ``$XDG_CONFIG_HOME/git/ignore``."""
    configured = run_git(Path.cwd(), "config", "--global", "--path", "--get", "core.excludesFile")
    if configured is not None and configured.returncode == 0 and configured.stdout.strip():
        return Path(os.fsdecode(configured.stdout.strip())).expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(xdg) / "git" / "ignore"
