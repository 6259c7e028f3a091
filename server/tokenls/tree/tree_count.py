"""Counting a whole tree: every file with its folder's tokenizer, in walk order, on the
threads that pay on this machine.

On two cores or fewer, with a core idle, plain files are read ahead on the calling thread
while an encoder thread per core encodes (``tokenls.tree.encode_ahead``); prompts, standard
input and files counted for an estimated model run whole on an encoder thread, in their
turn. On bigger machines a thread pool spreads the files (tiktoken releases the GIL).
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from tokenls.engine.counting import BATCH_MAX_EXACT, FAST_CHARS, Counter
from tokenls.engine.tokenizer_files import make_counter
from tokenls.files.reading import Found, walk
from tokenls.files.regular import NotRegularFile
from tokenls.tree.encode_ahead import Ahead, encode_ahead, read_ahead_pays
from tokenls.tree.filecount import FileCount, count_file, known_ahead, labelled
from tokenls.tree.known_files import KnownFiles
from tokenls.tree.prompts import PromptChecker
from tokenls.tree.stdin import count_stdin, named_special, stdin_stands_for


def default_workers() -> int:
    """Threads that encode a tree: one per core, up to 8. Measured on two cores, idle: two
    encoders, fed by the calling thread, counted the standard library in 0.74 of one's time
    for 13% more CPU."""
    return min(os.cpu_count() or 1, 8)


def count_paths(
    paths: Iterable[str | Path],
    encoding: str,
    *,
    workers: int | None = None,
    on_done: Callable[[FileCount], None] | None = None,
    prompts: PromptChecker | None = None,
    ignore: bool = True,
    stdin_name: str | None = None,
    known: KnownFiles | None = None,
) -> list[FileCount]:
    """Count every file under ``paths`` (walked with git's ignore rules unless ``ignore`` is
    false; ``-`` is standard input), in walk order, on ``workers`` encoding threads. Each
    file is counted with its folder's choice of tokenizer (``prompts``; without it,
    ``encoding``). With ``known``, unchanged files come from the cache and what was counted
    is written back once, at the end."""
    found: list[Found] = list(walk(paths, ignore=ignore))
    workers = workers or default_workers()
    tree = _Tree(found, encoding, workers > 1 and len(found) > 1, prompts, stdin_name, known)

    def finished(item: Found, result: FileCount) -> FileCount:
        if item.named and result.skipped:  # named on purpose: an error, not a quiet skip
            result = FileCount(item.path, error=named_special(result.skipped))
        if on_done is not None:
            on_done(result)
        return result

    try:
        if len(found) <= 1 or (_reads_ahead(workers) and not read_ahead_pays()):
            return [finished(item, tree.now(item)) for item in found]
        if _reads_ahead(workers):
            ahead = encode_ahead((tree.step(item) for item in found), encoders=workers)
            return [finished(item, result) for item, result in zip(found, ahead, strict=True)]
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = pool.map(tree.now, found)
            return [finished(item, result) for item, result in zip(found, results, strict=True)]
    finally:
        tree.flush()


def _reads_ahead(workers: int) -> bool:
    """Whether the calling thread reads for the encoders: always on two cores or fewer (one
    reader keeps two encoders busy), and for a single encoder."""
    return workers == 1 or (os.cpu_count() or 1) <= 2


class _Tree:
    """What counting one tree shares between its files: a counter per thread and encoding
    (``threads``: more than one thread counts), the remembered counts per encoding."""

    def __init__(
        self,
        found: list[Found],
        encoding: str,
        threads: bool,
        prompts: PromptChecker | None,
        stdin_name: str | None,
        known: KnownFiles | None,
    ) -> None:
        self.found, self.encoding, self.threads = found, encoding, threads
        self.prompts, self.stdin_name, self.known = prompts, stdin_name, known
        self.counters: dict[tuple[int, str], Counter] = {}
        self.knowns: dict[str, KnownFiles] = {}
        self.lock = threading.Lock()

    def expect(self) -> int:
        """Asked only when a file must be read (an unchanged tree never asks)."""
        return _bytes_to_read(self.found, self.known, FAST_CHARS)

    def counter_for(self, chosen: str) -> Counter:
        """One counter per thread and encoding: its piece cache and engine are not shared
        across threads."""
        key = (threading.get_ident() if self.threads else 0, chosen)
        counter = self.counters.get(key)
        if counter is None:
            with self.lock:
                counter = self.counters.get(key)
                if counter is None:
                    counter = make_counter(chosen, max_exact=BATCH_MAX_EXACT, expect=self.expect)
                    self._check_remembered(chosen, counter)
                    self.counters[key] = counter
        return counter

    def _check_remembered(self, chosen: str, counter: Counter) -> None:
        known = self.known
        ours = (counter.cache_id, counter.max_exact)
        theirs = (known.counter_id, known.max_exact) if known is not None else ours
        if chosen == self.encoding and theirs != ours:
            raise ValueError(f"remembered counts of {theirs[0]}, not {self.encoding}")

    def known_for(self, counter: Counter) -> KnownFiles | None:
        """The remembered counts of this counter's files (another encoding's beside ``known``)."""
        known = self.known
        if known is None or known.counter_id == counter.cache_id:
            return known
        with self.lock:
            other = self.knowns.get(counter.cache_id)
            if other is None:
                other = KnownFiles(known.cache, counter.cache_id, known.max_exact)
                self.knowns[counter.cache_id] = other
        return other

    def whole(self, item: Found) -> FileCount:
        """One path counted from start to end on the calling thread."""
        if item.error is not None:
            return FileCount(item.path, error=item.error)
        prompts = self.prompts
        where = stdin_stands_for(self.stdin_name) if item.stdin else item.path
        counter = self.counter_for(prompts.choice(where).encoding if prompts else self.encoding)
        if item.stdin:
            return count_stdin(counter, prompts, self.stdin_name)
        return count_file(item.path, counter, prompts, self.known_for(counter))

    def step(self, item: Found) -> FileCount | Ahead[FileCount]:
        """A plain file read here, its encoding left to the returned work; anything else
        (a prompt, standard input, a model counted by its provider) whole in the work."""
        if item.error is not None or item.stdin:
            return Ahead(lambda: self.whole(item))
        path, prompts = item.path, self.prompts
        model = None
        chosen = self.encoding
        try:  # one look: whether it is a link, and (when it is not) its stat
            info: os.stat_result | None = os.lstat(path)
        except OSError:
            info = None  # said where the file is stat-ed
        if prompts is not None:
            try:
                choice = prompts.plain_choice(path, info)
            except NotRegularFile as exc:
                return FileCount(path, skipped=exc.strerror)
            except OSError as exc:
                return FileCount(path, error=exc.strerror or str(exc))
            # A prompt, or a model whose count is its provider's: counted whole.
            if choice is None or choice.ratio is not None:
                return Ahead(lambda: self.whole(item))
            chosen, model = choice.encoding, choice.model
        counter = self.counter_for(chosen)
        if info is not None and stat.S_ISLNK(info.st_mode):
            info = None  # its target's stat is wanted
        read = known_ahead(path, lambda: self.counter_for(chosen), self.known_for(counter), info)
        if isinstance(read, Ahead):
            encode = read.work
            return Ahead(lambda: labelled(encode(), counter, model), read.chars)
        return labelled(read, counter, model)

    def now(self, item: Found) -> FileCount:
        done = self.step(item)
        return done.work() if isinstance(done, Ahead) else done

    def flush(self) -> None:
        for remembered in (self.known, *self.knowns.values()):
            if remembered is not None:
                remembered.flush()


def _bytes_to_read(found: list[Found], known: KnownFiles | None, enough: int) -> int:
    """Bytes of the files the cache cannot answer by their stat, summed until ``enough``:
    the counting engine is chosen for that volume (standard input chooses as it streams)."""
    total = 0
    for item in found:
        if item.stdin or item.error is not None:
            continue
        try:
            info = item.path.stat()
        except OSError:
            continue
        if known is None or known.by_stat(item.path, info) is None:
            total += info.st_size
            if total >= enough:
                break
    return total
