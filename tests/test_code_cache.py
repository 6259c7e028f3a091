"""The protocol types imported with attrs's compiled methods reused: the same classes, no
compiling in later processes, and a damaged or foreign cache file simply ignored."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# Imports lsprotocol's types inside ``compiled_once`` and exercises a few classes; with
# ``strict``, compiling attrs-generated source raises, so only cached code can succeed.
SCRIPT = """
import builtins, sys
import attr._make  # attrs compiles a few methods of its own when it is imported
from pathlib import Path
from tokenls.code_cache import compiled_once
real = builtins.compile
if sys.argv[2] == "strict":
    def refuse(source, filename, mode, *args, **kwargs):
        if isinstance(filename, str) and filename.startswith("<attrs generated"):
            raise AssertionError("compiled again: " + filename)
        return real(source, filename, mode, *args, **kwargs)
    builtins.compile = refuse
with compiled_once(Path(sys.argv[1]), "attrs"):
    from lsprotocol import types
builtins.compile = real
a = types.Position(line=1, character=2)
assert a == types.Position(1, 2) and a != types.Position(1, 3)
assert (a.line, a.character) == (1, 2)
r = types.Range(start=a, end=types.Position(3, 0))
print(r.end.line, types.InitializeParams.__init__.__code__.co_filename)
"""


def _run(path: Path, mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path), mode], capture_output=True, text=True
    )


def test_a_second_process_compiles_nothing(tmp_path: Path) -> None:
    path = tmp_path / "store" / "attrs-code.marshal"
    assert "compiled again" in _run(path, "strict").stderr  # nothing cached yet
    first = _run(path, "plain")
    assert first.returncode == 0, first.stderr
    assert path.stat().st_mode & 0o777 == 0o600
    second = _run(path, "strict")
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert "<attrs generated" in second.stdout


def test_a_damaged_file_is_ignored_and_replaced(tmp_path: Path) -> None:
    path = tmp_path / "attrs-code.marshal"
    assert _run(path, "plain").returncode == 0
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    os.chmod(path, 0o600)
    assert "compiled again" in _run(path, "strict").stderr
    assert _run(path, "plain").returncode == 0  # rebuilt
    assert _run(path, "strict").returncode == 0


def test_a_file_others_may_write_is_never_loaded(tmp_path: Path) -> None:
    path = tmp_path / "attrs-code.marshal"
    assert _run(path, "plain").returncode == 0
    os.chmod(path, 0o666)
    assert "compiled again" in _run(path, "strict").stderr


# Defines dataclasses inside ``compiled_once``; with ``strict``, running generated source
# as text raises, so only code compiled in an earlier process can succeed.
DATACLASSES = """
import builtins, dataclasses, sys
from pathlib import Path
from tokenls.code_cache import compiled_once
real_exec, real_compile = builtins.exec, builtins.compile
def refusing(real):
    def refuse(source, *args, **kwargs):
        if isinstance(source, str) and "__create_fn__" in source:
            raise AssertionError("compiled again")
        return real(source, *args, **kwargs)
    return refuse
if sys.argv[2] == "strict":
    builtins.exec, builtins.compile = refusing(real_exec), refusing(real_compile)
with compiled_once(Path(sys.argv[1]), "dataclasses"):
    @dataclasses.dataclass(frozen=True, slots=True)
    class Point:
        x: int
        y: "tuple[int, ...]" = dataclasses.field(default_factory=tuple)
builtins.exec, builtins.compile = real_exec, real_compile
p = Point(1, (2,))
assert p == Point(1, (2,)) and p != Point(2) and hash(p) == hash(Point(1, (2,)))
try:
    p.x = 3
except dataclasses.FrozenInstanceError:
    pass
else:
    raise AssertionError("not frozen")
print(repr(p), Point.__init__.__annotations__)
"""


def _run_dataclasses(path: Path, mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", DATACLASSES, str(path), mode], capture_output=True, text=True
    )


def test_dataclasses_of_a_second_process_compile_nothing(tmp_path: Path) -> None:
    path = tmp_path / "store" / "code.marshal"
    assert "compiled again" in _run_dataclasses(path, "strict").stderr
    first = _run_dataclasses(path, "plain")
    assert first.returncode == 0, first.stderr
    second = _run_dataclasses(path, "strict")
    assert second.returncode == 0, second.stderr
    # The same class as without the store: what Python itself makes of the source.
    unpatched = subprocess.run(
        [
            sys.executable,
            "-c",
            DATACLASSES.replace(
                'with compiled_once(Path(sys.argv[1]), "dataclasses"):', "if True:"
            ),
            "x",
            "plain",
        ],
        capture_output=True,
        text=True,
    )
    assert second.stdout == first.stdout == unpatched.stdout
    assert "Point(x=1, y=(2,))" in second.stdout


def test_a_process_that_makes_other_classes_keeps_the_entries_it_did_not_use(
    tmp_path: Path,
) -> None:
    path = tmp_path / "code.marshal"
    other = DATACLASSES.replace("x: int", "x: int\n        z: int = 0")  # another __init__
    assert _run_dataclasses(path, "plain").returncode == 0
    wrote = subprocess.run(
        [sys.executable, "-c", other, str(path), "plain"], capture_output=True, text=True
    )
    assert wrote.returncode == 0, wrote.stderr
    assert _run_dataclasses(path, "strict").returncode == 0, "the first process's entries went"
