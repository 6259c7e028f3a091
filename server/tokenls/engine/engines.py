"""The engine a ``Counter`` counts with: chosen once, explicitly, and injectable.

Four choices, all with tiktoken's counts (the tests hold each to tiktoken itself):
``tiktoken`` (the encoder, built on first use), ``pure`` (puretiktoken's Python pre-tokenizer
and merge over the stored rank table, tiktoken for what it leaves), ``fast`` (toktok-rs) and
``auto``, which picks among them by volume as a process warms up (pure for a little text
before tiktoken is built, the start-up helper while it builds, toktok-rs for big trees).
Each engine names the engines that really counted (``used``), so a test can assert which ran.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal, Protocol

from tokenls.engine import count_helper, fast
from tokenls.engine.encodings import building, built_encoding, get_encoding, rank_table
from tokenls.engine.ordinary import ordinary_count

if TYPE_CHECKING:
    import tiktoken

    from tokenls.engine.fast import FastCounter
    from tokenls.engine.pure import PureCounter

EngineChoice = Literal["auto", "tiktoken", "pure", "fast"]
CHOICES: tuple[EngineChoice, ...] = ("auto", "tiktoken", "pure", "fast")
# Mean text length past which tiktoken's parallel batch beats one call per text.
BATCH_TEXT_CHARS = 4096
# Text past which loading toktok-rs (``tokenls.engine.fast``) pays for itself: about where
# its faster counting makes up its slower load when nothing is built yet (0.3 MB for
# cl100k_base, 2 MB for o200k_base here), and when tiktoken's encoder is built already.
FAST_CHARS = 1 << 20
FAST_OVER_BUILT_CHARS = 8 << 20
log = logging.getLogger("tokenls.engine")


class Engine(Protocol):
    name: str
    used: set[str]

    def count(self, text: str) -> int: ...

    def counts(self, texts: list[str]) -> list[int]: ...


class _Logged:
    """Logs the first count by each engine (``TOKENLS_LOG=debug``): which one counted."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self.used: set[str] = set()

    def _ran(self, name: str) -> None:
        if name not in self.used:
            self.used.add(name)
            log.debug("%s counted by %s", self.encoding, name)


class TiktokenEngine(_Logged):
    name = "tiktoken"

    def __init__(self, encoding: str) -> None:
        super().__init__(encoding)
        self._enc: tiktoken.Encoding | None = None

    def encoder(self) -> tiktoken.Encoding:
        if self._enc is None:
            self._enc = get_encoding(self.encoding)
        return self._enc

    def count(self, text: str) -> int:
        self._ran("tiktoken")
        return ordinary_count(self.encoder(), text)

    def counts(self, texts: list[str]) -> list[int]:
        self._ran("tiktoken")
        enc = self.encoder()
        if sum(map(len, texts)) < BATCH_TEXT_CHARS * len(texts):
            encode = enc.encode_ordinary
            return [len(encode(text)) for text in texts]
        return [len(ids) for ids in enc.encode_ordinary_batch(texts)]


class PureEngine(_Logged):
    """puretiktoken's counts; what it leaves (see ``tokenls.engine.pure``) goes to tiktoken."""

    name = "pure"

    def __init__(self, encoding: str, tiktoken_engine: TiktokenEngine | None = None) -> None:
        super().__init__(encoding)
        self._tiktoken = tiktoken_engine or TiktokenEngine(encoding)
        self._pure: PureCounter | None = None
        self.available = True

    def try_count(self, text: str) -> int | None:
        pure = self._pure
        if pure is None and self.available:
            from tokenls.engine.pure import PureCounter

            pure = self._pure = PureCounter.for_table(rank_table(self.encoding))
            self.available = pure is not None
        if pure is None:
            return None
        counted = pure.count(text)
        if counted is not None:
            self._ran("pure (Python)")
        return counted

    def count(self, text: str) -> int:
        counted = self.try_count(text)
        if counted is None:
            counted = self._tiktoken.count(text)
            self.used |= self._tiktoken.used
        return counted

    def counts(self, texts: list[str]) -> list[int]:
        return [self.count(text) for text in texts]


class FastEngine(_Logged):
    name = "fast"

    def __init__(self, encoding: str, counter: FastCounter | None = None) -> None:
        super().__init__(encoding)
        counter = counter or fast.load(encoding)
        if counter is None:
            raise ValueError(f"the fast engine (toktok-rs) cannot count {encoding} here")
        self._counter = counter

    def count(self, text: str) -> int:
        self._ran("fast (toktok-rs)")
        return self._counter.count(text)

    def counts(self, texts: list[str]) -> list[int]:
        self._ran("fast (toktok-rs)")
        return self._counter.counts(texts)


class AutoEngine(_Logged):
    """The fastest engine for the volume at hand as the process warms up."""

    name = "auto"

    def __init__(
        self, encoding: str, pure_chars: int, expect: Callable[[], int] | None = None
    ) -> None:
        """``expect``: how much text the caller is about to count, asked once when the
        first text needs an engine, so the fastest one for that volume is chosen."""
        super().__init__(encoding)
        self._tiktoken = TiktokenEngine(encoding)
        self._pure = PureEngine(encoding, self._tiktoken)
        self._fast: FastEngine | None = None
        self._fast_possible: bool | None = None  # unknown until a volume asks for it
        self._expect = expect
        self._expected = 0
        self._pure_left = pure_chars  # what may still be counted before building tiktoken

    def _built(self) -> bool:
        if self._tiktoken._enc is None and (enc := built_encoding(self.encoding)) is not None:
            self._tiktoken._enc = enc  # another part of the process built it: no reason to wait
        return self._tiktoken._enc is not None

    def count(self, text: str) -> int:
        engine = self._fast or self.fast_for(len(text))
        if engine is not None:
            return self._from(engine, engine.count(text))
        if not self._built():
            # The start-up helper has the encoder built; counting in Python would first
            # have to load the rank table.
            if helped := count_helper.counts(self.encoding, [text]):
                self._ran("tiktoken (start-up helper)")
                return helped[0]
            if len(text) <= self._pure_left and not building(self.encoding):
                counted = self._pure.try_count(text)
                if counted is not None:
                    self._pure_left -= len(text)
                    return self._from(self._pure, counted)
        return self._from(self._tiktoken, self._tiktoken.count(text))

    def counts(self, texts: list[str]) -> list[int]:
        chars = sum(map(len, texts))
        engine = self._fast or self.fast_for(chars)
        if engine is not None:
            return self._from(engine, engine.counts(texts))
        if not self._built():
            if helped := count_helper.counts(self.encoding, texts):
                self._ran("tiktoken (start-up helper)")
                return helped
            if chars <= self._pure_left and not building(self.encoding):
                counts = [self._pure.try_count(text) for text in texts]
                if None not in counts:
                    self._pure_left -= chars
                    return self._from(self._pure, counts)  # type: ignore[arg-type]
        return self._from(self._tiktoken, self._tiktoken.counts(texts))

    def _from(self, engine: _Logged, result):  # type: ignore[no-untyped-def]
        for name in engine.used - self.used:
            self._ran(name)
        return result

    def fast_for(self, chars: int) -> FastEngine | None:
        """toktok-rs when this process has loaded it, or when the text at hand (or what the
        caller expects) is enough for its load to pay. Every engine choice starts here, so
        this is where the caller's expectation is asked for."""
        if self._expect is not None:
            self._expected, self._expect = self._expect(), None
            if self._expected > self._pure_left:
                self._pure_left = 0
        if self._fast_possible is False:
            return None
        name = self.encoding
        counter = fast.loaded(name)
        if counter is None:
            building_done = self._built() or count_helper.active()
            limit = FAST_OVER_BUILT_CHARS if building_done else FAST_CHARS
            if max(chars, self._expected) < limit:
                return None
            counter = fast.load(name)
            if counter is None:
                self._fast_possible = False
                return None
        self._fast = FastEngine(name, counter)
        return self._fast


def make_engine(
    choice: EngineChoice | Engine,
    encoding: str,
    *,
    pure_chars: int,
    expect: Callable[[], int] | None = None,
) -> Engine:
    """The engine for ``choice`` (an engine object is used as it is); logged at debug."""
    if not isinstance(choice, str):
        engine: Engine = choice
    elif choice == "auto":
        engine = AutoEngine(encoding, pure_chars, expect)
    elif choice == "tiktoken":
        engine = TiktokenEngine(encoding)
    elif choice == "pure":
        engine = PureEngine(encoding)
    elif choice == "fast":
        engine = FastEngine(encoding)
    else:
        raise ValueError(f"unknown engine {choice!r}: expected one of {', '.join(CHOICES)}")
    log.debug("%s: engine %s", encoding, engine.name)
    return engine
