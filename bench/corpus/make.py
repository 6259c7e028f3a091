"""Builds a corpus of today's CI failures by running real tools on mutated projects.

    python bench/corpus/make.py [--jobs 3] [--only PATTERN ...] [--force] [--fixtures DIR]

Each case copies a project under /tmp (PyPI sdists with their own test suites, Go's standard
library packages with theirs, semver's source, the projects under tests/fixtures/logs/src and
bench/corpus/projects), applies a few seeded source mutations (``mutate.py``) so that several
tests fail at once, runs the real tool and keeps its output. The failure lines a reader needs
come from the tool's own structured report (pytest --junitxml, xmlrunner XML, jest/vitest
--json, go test -json, libtest's JSON, gcc's JSON diagnostics, tsc --pretty false, ESLint's
JSON, surefire XML, ctest's JUnit, PHPUnit's JUnit, RSpec's JSON): each report's message is
mapped to the first log line of the failing step that carries it. Nothing here reads
tokenls's code; a run whose report names no failure is dropped.

Every run is kept three times: as a shell transcript (``<case>.log``), framed as GitHub
Actions writes its raw log (``<case>.gha.log``) and in one more runner's format (GitLab,
Azure Pipelines, Buildkite or Jenkins, in turn; see ``frame.py``). Cases run in parallel and
each leaves ``out/cases/<case>.json``, so an interrupted run resumes where it stopped. Output:
bench/corpus/out/ (git-ignored) with labels.json: per log its ecosystem, tool, framing,
commands, seed and mutations, and label lines."""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from frame import FRAMINGS, STAMP, SUFFIX, Step, frame_plain, strip_ansi
from mutate import OPERATORS, mutate, record

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
FIXTURE_SRC = ROOT / "tests" / "fixtures" / "logs" / "src"
OUT = HERE / "out"
BUILD = Path(os.environ.get("CORPUS_BUILD", "/tmp/tokenls-corpus"))
PY = BUILD / "venv" / "bin" / "python"
NODE_BIN = BUILD / "nodeenv" / "node_modules" / ".bin"
SDISTS = {
    "more-itertools": "10.5.0",
    "toolz": "1.0.0",
    "inflection": "0.5.1",
    "jmespath": "1.0.1",
    "pathspec": "0.12.1",
    "cachetools": "5.5.0",
    "boltons": "24.1.0",
}
PROJECTS = HERE / "projects"
# Mutations applied to the current case's copy: recorded beside its labels.
APPLIED: list[dict[str, object]] = []
Mutation = tuple[str, str, str]  # file, old text (must occur once), new text


@dataclass
class Result:
    steps: list[Step]
    # What each failure's lines contain: a substring, or a pattern the line must match.
    needles: list[str | re.Pattern[str]] = field(default_factory=list)


class StepTimeout(Exception):
    """A step ran past its time (a mutant that loops): the case is dropped."""


def _limit_memory(mb: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (mb << 20, mb << 20))

    return apply


def sh(
    cmd: str, cwd: Path, env: dict[str, str] | None = None, timeout: int = 150, limit_mb: int = 0
) -> Step:
    """Runs ``cmd`` with stdout and stderr merged, as a CI step shows them; ``limit_mb`` caps
    the address space of interpreters whose mutants may allocate without end."""
    full = dict(os.environ, **(env or {}))
    proc = subprocess.Popen(
        ["bash", "-c", cmd], cwd=cwd, env=full, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True,
        preexec_fn=_limit_memory(limit_mb) if limit_mb else None,
    )  # fmt: skip
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise StepTimeout(cmd) from None
    return Step(cmd, out.decode("utf-8", "replace"), proc.returncode)


@dataclass(frozen=True)
class Seeded:
    """Seeded mutations: which files of the copy, which seed, the language's operators."""

    files: tuple[str, ...]
    seed: int
    lang: str
    operators: tuple[str, ...] = OPERATORS


def workdir(name: str, source: Path, mutations: list[Mutation], seeded: Seeded | None = None) -> Path:
    """A fresh copy of ``source`` under BUILD, mutated (the source is never written)."""
    work = BUILD / "work" / name
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(source, work, ignore=shutil.ignore_patterns("node_modules", "target"))
    for file, old, new in mutations:
        path = work / file
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, (name, file, old)
        path.write_text(text.replace(old, new), encoding="utf-8")
        APPLIED.append({"file": file, "operator": "fixed", "old": old, "new": new})
    if seeded:
        done = mutate(work, list(seeded.files), seeded.seed, seeded.lang, operators=seeded.operators)
        APPLIED.extend({"seed": seeded.seed, **m} for m in record(done))
    return work


def first_line(text: str | None) -> str:
    for line in strip_ansi(text or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


# ---- setup noise: real output of real commands, run once and reused -------------------------

_NOISE: dict[str, Step] = {}


def noise(key: str, cmd: str, cwd: Path | None = None) -> Step:
    """Run once for the whole corpus (kept on disk, shared by parallel workers)."""
    if key not in _NOISE:
        import fcntl
        import hashlib

        cache = BUILD / "noise" / (hashlib.sha256(key.encode()).hexdigest()[:16] + ".json")
        cache.parent.mkdir(parents=True, exist_ok=True)
        with open(cache.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not cache.exists():
                step = sh(cmd, cwd or BUILD, timeout=900)
                cache.write_text(json.dumps([step.command, step.output, step.code]))
            command, output, code = json.loads(cache.read_text())
        _NOISE[key] = Step(command, output, code)
    return _NOISE[key]


def apt_step(packages: str) -> Step:
    return noise(f"apt {packages}", f"apt-get install -s -y --reinstall {packages}")


def pip_step() -> Step:
    venv = BUILD / "noise-venv"
    return noise(
        "pip",
        f"rm -rf {venv} && python3 -m venv {venv} && {venv}/bin/pip install -v pytest==9.0.3 2>&1"
        f" | grep -v '^ *Link requires' | head -400",
    )


# ---- Python ----------------------------------------------------------------------------------


def sdist(name: str) -> Path:
    root = BUILD / "src"
    target = root / f"{name}-{SDISTS[name]}"
    if not target.exists():
        root.mkdir(parents=True, exist_ok=True)
        sh(
            f"{PY} -m pip download -q --no-binary :all: --no-deps {name}=={SDISTS[name]} -d sdists",
            BUILD,
        )
        sh(f"tar xzf ../sdists/{name}-{SDISTS[name]}.tar.gz", root)
    return target


def junit_needles(report: Path) -> list[str | re.Pattern[str]]:
    """Each failed test case: its message's first line and its short-summary line."""
    needles: list[str | re.Pattern[str]] = []
    for case in ET.parse(report).iter("testcase"):
        for bad in [*case.iter("failure"), *case.iter("error")]:
            message = first_line(bad.get("message"))
            if message:
                needles.append(message[:120])
            owner = (case.get("classname") or "").rsplit(".", 1)[-1]
            test = (
                f"::{owner}::{case.get('name')}" if owner[:1].isupper() else f"::{case.get('name')}"
            )
            needles.append(re.compile(r"^FAILED \S*" + re.escape(test) + r"(?: - |$)"))
    return needles


def run_pytest(
    name: str, project: str, tests: str, mutations: list[Mutation], seeded: Seeded | None = None
) -> Result:
    source = sdist(project) if project in SDISTS else FIXTURE_SRC / project
    work = workdir(name, source, mutations, seeded)
    report = work / "report.xml"
    steps = [apt_step("python3-dev"), pip_step()]
    # boltons' conftest still takes py.path arguments, which pytest 9 refuses by default
    flags = " -W ignore::pytest.PytestRemovedIn9Warning" if project == "boltons" else ""
    test = sh(
        f"{PY} -m pytest -v -p no:cacheprovider -p no:randomly --junitxml={report}{flags} {tests}",
        work, {"GITHUB_ACTIONS": "true", "PYTHONHASHSEED": "0", "PYTHONPATH": "src"}, limit_mb=4096,
    )  # fmt: skip
    return Result([*steps, test], junit_needles(report))


def run_unittest(
    name: str, project: str, tests: str, mutations: list[Mutation], seeded: Seeded | None = None
) -> Result:
    """unittest's own text report (xmlrunner subclasses its runner) and its XML."""
    work = workdir(name, sdist(project), mutations, seeded)
    test = sh(
        f"{PY} -m xmlrunner discover -v -s {tests} -t . -o reports", work, {"PYTHONPATH": "src"},
        limit_mb=4096,
    )  # fmt: skip
    needles: list[str | re.Pattern[str]] = []
    for report in sorted((work / "reports").glob("*.xml")):
        for case in ET.parse(report).iter("testcase"):
            for bad in [*case.iter("failure"), *case.iter("error")]:
                kind = "FAIL" if bad.tag == "failure" else "ERROR"
                title = re.escape(case.get("name") or "")
                needles.append(re.compile(rf"^{kind}(?: \[[\d.]+s\])?: {title} \("))
                # XML attributes fold line breaks into spaces: the message's first line
                message = re.split(r"\s{2,}", first_line(bad.get("message")))[0]
                typ = (bad.get("type") or "").rsplit(".", 1)[-1]
                if message:
                    needles.append(f"{typ}: {message}"[:120] if typ else message[:120])
    return Result([apt_step("python3-dev"), pip_step(), test], needles)


# ---- Rust -------------------------------------------------------------------------------------


def run_cargo(
    name: str,
    mutations: list[Mutation],
    source: Path = FIXTURE_SRC / "cargo",
    seeded: Seeded | None = None,
) -> Result:
    work = workdir(name, source, mutations, seeded)
    env = {"CARGO_TARGET_DIR": str(BUILD / "target" / name), "RUST_BACKTRACE": "1"}
    build = sh("cargo build --verbose --offline --all-targets", work, env)
    test = sh("cargo test --offline --no-fail-fast", work, env)
    report = sh(
        "cargo test --offline --no-fail-fast -q -- -Z unstable-options --format json",
        work, {**env, "RUSTC_BOOTSTRAP": "1"},
    )  # fmt: skip
    needles: list[str | re.Pattern[str]] = []
    if build.code:
        needles += cargo_compile_needles(work, env)
    for line in report.output.splitlines():
        if not line.startswith("{"):
            continue
        event = json.loads(line)
        if event.get("type") == "test" and event.get("event") == "failed":
            out = event.get("stdout", "").splitlines()
            for i, text in enumerate(out):
                if " panicked at " in text:  # the thread's id differs from run to run
                    needles.append(
                        re.compile(re.sub(r"\\\(\d+\\\)", r"\\(\\d+\\)", re.escape(text.strip())))
                    )
                    if i + 1 < len(out):
                        needles.append(out[i + 1].strip()[:120])
                    break
    return Result([apt_step("pkg-config libssl-dev libgtk-3-dev"), build, test], needles)


NEWCOMER = HERE / "projects" / "newcomer"
NEWCOMER_INDEX: Mutation = (
    "src/lib.rs",
    "    if words.is_empty() {\n        return 0;\n    }\n",
    "",
)
NEWCOMER_SUM: Mutation = (
    "shop/__init__.py",
    "return sum(cents)",
    "return sum(cents[1:]) if len(cents) == 2 else sum(cents)",
)
NEWCOMER_SPLIT: Mutation = (
    "shop/__init__.py",
    "(1 if i < rest else 0)",
    "(1 if i >= parts - rest else 0)",
)


def run_newcomer(name: str) -> Result:
    """One job testing a crate and a Python package: cargo, then pytest, then unittest."""
    rust = run_cargo(f"{name}-crate", [NEWCOMER_INDEX], NEWCOMER / "crate")
    work = workdir(f"{name}-py", NEWCOMER / "py", [NEWCOMER_SUM, NEWCOMER_SPLIT])
    report = work / "report.xml"
    pytest = sh(f"{PY} -m pytest -v -p no:cacheprovider --junitxml={report} tests", work)
    unit = sh(f"{PY} -m unittest -v tests.test_split_unit", work)
    both = Step(
        "\n".join([rust.steps[-1].command, pytest.command, unit.command]),
        rust.steps[-1].output + pytest.output + unit.output,
        1,
    )
    return Result([*rust.steps[:-1], both], rust.needles + junit_needles(report))


def cargo_compile_needles(work: Path, env: dict[str, str]) -> list[str]:
    out = sh("cargo build --offline --all-targets --message-format=json", work, env)
    needles = []
    for line in out.output.splitlines():
        if line.startswith("{"):
            msg = json.loads(line)
            diag = msg.get("message") or {}
            if msg.get("reason") == "compiler-message" and diag.get("level") == "error":
                code = (diag.get("code") or {}).get("code")
                if code:
                    needles.append(f"error[{code}]: {diag['message']}"[:120])
    return needles


# ---- Go ---------------------------------------------------------------------------------------


def run_go(
    name: str, mutations: list[Mutation], source: Path = FIXTURE_SRC / "go", seeded: Seeded | None = None
) -> Result:
    work = workdir(name, source, mutations, seeded)
    env = {"GOPROXY": "off", "GOFLAGS": "-mod=mod", "GOCACHE": str(BUILD / "gocache")}
    build = noise("go build", "go version && go env && go build -v -a std 2>&1 | head -300", work)
    test = sh("go test -count=1 -timeout 60s -v ./...", work, env)
    report = sh("go test -count=1 -timeout 60s -json ./...", work, env)
    needles, output = [], {}
    for line in report.output.splitlines():
        if not line.startswith("{"):
            continue
        event = json.loads(line)
        key = (event.get("Package"), event.get("Test"))
        if event.get("Action") == "output":
            output.setdefault(key, []).append(event["Output"])
        if event.get("Action") == "fail" and event.get("Test"):
            lines = output.get(key, [])
            heads = [t.strip() for t in lines if t.strip().startswith("--- FAIL")]
            msgs = [t.strip() for t in lines if re.search(r"_test\.go:\d+:", t)]
            panics = [t.strip() for t in lines if t.startswith("panic:")]
            needles += heads[:1] + msgs[:1] + panics[:1]
    # A package that does not build: the compiler's own file:line:col lines
    needles += [t for t in report.output.splitlines() if re.match(r"^\S+\.go:\d+:\d+: ", t)][:5]
    return Result([build, test], needles)


# ---- JavaScript / TypeScript ----------------------------------------------------------------


def npm_step(work: Path) -> Step:
    fresh = BUILD / "noise-npm"
    fresh.mkdir(parents=True, exist_ok=True)
    (fresh / "package.json").write_text('{"private": true}')
    return noise(
        "npm", "npm install --no-audit --no-fund --loglevel=http jest@30 2>&1 | head -300", fresh
    )


def run_jest(name: str, mutations: list[Mutation], seeded: Seeded | None = None) -> Result:
    work = workdir(name, FIXTURE_SRC / "jest", mutations, seeded)
    (work / "node_modules").symlink_to(BUILD / "nodeenv" / "node_modules")
    test = sh(f"{NODE_BIN}/jest --verbose --ci --json --outputFile=report.json", work)
    needles = []
    for suite in json.loads((work / "report.json").read_text())["testResults"]:
        for case in suite["assertionResults"]:
            if case["status"] != "failed":
                continue
            needles.append("● " + " › ".join([*case["ancestorTitles"], case["title"]]))
            message = strip_ansi("\n".join(case["failureMessages"])).splitlines()
            for word in ("Expected", "Received"):
                found = [
                    t.strip()
                    for t in message
                    if t.strip().startswith((word, f"- {word}", f"+ {word}"))
                ]
                needles += found[:1]
    return Result([apt_step("nodejs"), npm_step(work), test], needles)


def run_vitest(name: str, mutations: list[Mutation], seeded: Seeded | None = None) -> Result:
    work = workdir(name, FIXTURE_SRC / "jest", mutations, seeded)
    (work / "node_modules").symlink_to(BUILD / "nodeenv" / "node_modules")
    (work / "vitest.config.mjs").write_text("export default { test: { globals: true } };\n")
    test = sh(
        f"{NODE_BIN}/vitest run --reporter=verbose --reporter=json --outputFile=report.json",
        work, {"CI": "true", "NO_COLOR": "1"},
    )  # fmt: skip
    needles = []
    for suite in json.loads((work / "report.json").read_text())["testResults"]:
        for case in suite["assertionResults"]:
            if case["status"] == "failed":
                needles.append(" > ".join([*case["ancestorTitles"], case["title"]]))
                needles.append(first_line("\n".join(case["failureMessages"]))[:120])
    return Result([apt_step("nodejs"), npm_step(work), test], needles)


def run_tsc(name: str, mutations: list[Mutation], seeded: Seeded | None = None) -> Result:
    work = workdir(name, FIXTURE_SRC / "tsc", mutations, seeded)
    (work / "node_modules").symlink_to(BUILD / "nodeenv" / "node_modules")
    test = sh(
        f"{NODE_BIN}/tsc -p tsconfig.json --listFiles --extendedDiagnostics --pretty false", work
    )
    # tsc's plain format is its report: file(line,col): error TSnnnn: message
    needles = [t for t in test.output.splitlines() if re.search(r"\(\d+,\d+\): error TS\d+:", t)]
    return Result([apt_step("nodejs"), npm_step(work), test], needles)


# ---- C / C++ ----------------------------------------------------------------------------------


def c_compile_needles(work: Path, cc: str = "gcc") -> list[str]:
    """Each source file's errors: gcc's JSON diagnostics, or clang 14's one-line form."""
    needles = []
    for src in sorted(work.glob("src/*.c")) + sorted(work.glob("tests/*.c")):
        rel = src.relative_to(work)
        if cc != "gcc":  # clang 14 has no JSON: its one-line form, without excerpts
            out = sh(f"{cc} -std=c11 -Isrc -fsyntax-only -fno-caret-diagnostics {rel}", work)
            needles += [t.split(" [-W")[0] for t in out.output.splitlines() if ": error: " in t]
            continue
        out = sh(f"gcc -std=c11 -Isrc -fdiagnostics-format=json -c {rel} -o /dev/null", work)
        start = out.output.find("[")
        if start < 0:
            continue
        for diag in json.loads(out.output[start:]):
            if diag.get("kind") == "error":
                loc = diag["locations"][0]["caret"]
                needles.append(
                    f"{loc['file']}:{loc['line']}:{loc['column']}: error: {diag['message']}"[:120]
                )
    return needles


def run_make(
    name: str, mutations: list[Mutation], cc: str = "gcc", seeded: Seeded | None = None
) -> Result:
    work = workdir(name, FIXTURE_SRC / "make", mutations, seeded)
    build = sh(f"make -k CC={cc} 2>&1", work)
    needles: list[str | re.Pattern[str]] = [*c_compile_needles(work, cc)]
    needles += [t.strip() for t in build.output.splitlines() if "undefined reference to" in t][:3]
    needles += [t for t in build.output.splitlines() if t.startswith("not ok ")][:5]
    return Result([apt_step("build-essential libboost-all-dev"), build], needles)


CMAKE = """cmake_minimum_required(VERSION 3.20)
project(calc C)
set(CMAKE_C_STANDARD 11)
add_library(calc src/lexer.c src/parser.c src/eval.c src/vars.c src/strbuf.c)
target_include_directories(calc PUBLIC src)
target_link_libraries(calc m)
add_executable(test_calc tests/test_calc.c)
target_link_libraries(test_calc calc)
enable_testing()
add_test(NAME calc_values COMMAND test_calc)
add_test(NAME calc_cmake_version COMMAND ${CMAKE_COMMAND} --version)
"""


def run_ctest(name: str, mutations: list[Mutation], seeded: Seeded | None = None) -> Result:
    work = workdir(name, FIXTURE_SRC / "make", mutations, seeded)
    (work / "CMakeLists.txt").write_text(CMAKE)
    configure = sh("cmake -S . -B build -DCMAKE_VERBOSE_MAKEFILE=ON", work)
    build = sh("cmake --build build", work)
    test = sh("cd build && ctest --output-on-failure --output-junit report.xml", work)
    needles: list[str | re.Pattern[str]] = []
    if build.code:  # the library or the test program does not build: gcc's own report
        needles += c_compile_needles(work)
        needles += [t.strip() for t in build.output.splitlines() if "undefined reference to" in t][:3]
        return Result([apt_step("cmake build-essential libboost-all-dev"), configure, build], needles)
    for case in ET.parse(work / "build" / "report.xml").iter("testcase"):
        if (
            case.get("status") == "fail"
        ):  # its line in ctest's progress: "1/2 Test #1: name ...***Failed"
            needles.append(re.compile(rf"Test +#\d+: {re.escape(case.get('name') or '')} .*\*\*\*"))
    # TAP's own failure lines: the first five, as a reader reads them
    needles += [t for t in test.output.splitlines() if t.startswith("not ok ")][:5]
    return Result(
        [apt_step("cmake build-essential libboost-all-dev"), configure, build, test], needles
    )


# ---- Java -------------------------------------------------------------------------------------


def run_maven(name: str, mutations: list[Mutation], seeded: Seeded | None = None) -> Result:
    work = workdir(name, FIXTURE_SRC / "maven", mutations, seeded)
    test = sh("mvn -B -o verify", work)
    needles: list[str | re.Pattern[str]] = []
    for report in sorted((work / "target" / "surefire-reports").glob("TEST-*.xml")):
        for case in ET.parse(report).iter("testcase"):
            for bad in [*case.iter("failure"), *case.iter("error")]:
                needles.append(f"{case.get('name')}")
                message = first_line(bad.get("message"))
                typ = bad.get("type") or ""
                needles.append(f"{typ}: {message}"[:120] if message else typ)
    if test.code and not needles:  # the main sources do not compile: javac's own report
        javac = sh("javac -Xmaxerrs 20 -d /dev/null/none $(find src/main/java -name '*.java') 2>&1", work)
        for line in javac.output.splitlines():
            m = re.match(r"^(?:.*/)?(\w+\.java):(\d+): error: (.*)$", line)
            if m:  # Maven shows it as [ERROR] /path/File.java:[line,col] message
                needles.append(re.compile(rf"{re.escape(m[1])}:\[{m[2]},\d+\] {re.escape(m[3][:100])}"))
    needles = [n for n in needles if n]
    return Result([apt_step("openjdk-17-jdk maven"), test], needles)


# ---- ESLint on semver's own source ------------------------------------------------------------

ESLINT_CONFIG = """import js from "@eslint/js";
import globals from "globals";
export default [js.configs.recommended, {languageOptions: {sourceType: "commonjs", globals: globals.node}}];
"""


def run_eslint(name: str, seeded: Seeded) -> Result:
    """ESLint 9 (recommended rules) on the source semver publishes to npm, mutated."""
    work = workdir(name, BUILD / "nodeenv" / "node_modules" / "semver", [], seeded)
    (work / "eslint.config.mjs").write_text(ESLINT_CONFIG)
    (work / "node_modules").symlink_to(BUILD / "nodeenv" / "node_modules")
    test = sh(f"{NODE_BIN}/eslint --max-warnings 0 classes functions internal ranges", work)
    report = sh(f"{NODE_BIN}/eslint -f json classes functions internal ranges", work)
    needles: list[str | re.Pattern[str]] = []
    start = report.output.find("[")
    for file in json.loads(report.output[start:]) if start >= 0 else []:
        for msg in file["messages"]:
            if msg.get("severity") == 2:
                needles.append(
                    re.compile(
                        rf"^\s*{msg.get('line', 0)}:{msg.get('column', 0)}\s+error\s+"
                        + re.escape(msg["message"].splitlines()[0].rstrip(".")[:100])
                    )
                )
    return Result([apt_step("nodejs"), npm_step(work), test], needles)


# ---- Go: the standard library's own packages and tests, copied out of GOROOT ------------------

GOROOT = Path(
    subprocess.run(["go", "env", "GOROOT"], capture_output=True, text=True, check=False).stdout.strip()
    if shutil.which("go")
    else "/usr/lib/go"
)
GO_STD = ["strconv", "sort", "path", "container/list", "container/ring", "container/heap",
          "unicode/utf8", "unicode/utf16", "encoding/csv", "text/tabwriter", "encoding/hex",
          "encoding/base32", "encoding/base64", "html", "bufio", "encoding/ascii85",
          "hash/adler32", "text/scanner", "net/url", "math/bits"]  # fmt: skip


def go_std_module(pkg: str) -> Path:
    """A module ``corpus`` holding one std package and its tests, importing itself by its new
    path; the few internal imports are replaced by their public equivalents."""
    root = BUILD / "gostd" / pkg.replace("/", "_")
    if (root / "go.mod").exists():
        return root
    target = root / pkg
    shutil.copytree(GOROOT / "src" / pkg, target, ignore=lambda d, names: [
        n for n in names if (Path(d) / n).is_dir() and n != "testdata" and Path(d) == GOROOT / "src" / pkg
    ])  # fmt: skip
    (root / "go.mod").write_text("module corpus\n\ngo 1.19\n")
    for file in target.glob("*.go"):
        text = file.read_text(encoding="utf-8")
        text = text.replace(f'"{pkg}"', f'"corpus/{pkg}"')
        text = text.replace('"internal/reflectlite"', '"reflect"').replace("reflectlite.", "reflect.")
        if file.name == "match.go" and pkg == "path":
            text = text.replace('"internal/bytealg"', '"strings"').replace(
                "bytealg.IndexByteString", "strings.IndexByte"
            )
        if file.name == "sort_test.go":
            text = text.replace('\t"internal/testenv"\n', "").replace("testenv.Builder()", '""')
        if file.name == "bytealg_bootstrap.go":
            text = text.replace("//go:build compiler_bootstrap\n// +build compiler_bootstrap\n", "")
        file.write_text(text, encoding="utf-8")
    if pkg == "strconv":  # its bootstrap twin, freed of its build tag above, stands in
        (target / "bytealg.go").unlink()
    return root


def run_go_std(name: str, pkg: str, seed: int) -> Result:
    root = go_std_module(pkg)
    files = tuple(
        str(f.relative_to(root)) for f in sorted((root / pkg).glob("*.go"))
        if not f.name.endswith("_test.go") and "tables" not in f.name and f.stat().st_size < 60_000
    )  # fmt: skip
    return run_go(name, [], root, Seeded(files, seed, "go"))


# ---- PHPUnit and RSpec: small projects written for the corpus --------------------------------


def run_phpunit(name: str, seeded: Seeded) -> Result:
    work = workdir(name, PROJECTS / "phpunit-stock", [], seeded)
    test = sh("phpunit --log-junit report.xml", work, timeout=60, limit_mb=2048)
    needles: list[str | re.Pattern[str]] = []
    report = work / "report.xml"
    for case in ET.parse(report).iter("testcase") if report.exists() else []:
        for bad in [*case.iter("failure"), *case.iter("error")]:
            needles.append(re.compile(rf"^\d+\) {re.escape(case.get('class') or '')}::{re.escape(case.get('name') or '')}$"))
            body = (bad.text or "").strip().splitlines()
            if len(body) > 1 and body[1].strip():
                needles.append(body[1].strip()[:120])
    if not needles:  # a fatal error before any test ran: PHP's own message
        needles += [t.strip() for t in test.output.splitlines() if t.startswith(("PHP Fatal", "PHP Parse", "Fatal error", "Parse error"))][:3]
    setup = noise("php -i", "php -v && php -i | head -300")  # what a PHP setup step prints
    return Result([apt_step("php-cli php-xml php-mbstring phpunit"), setup, test], needles)


def run_rspec(name: str, seeded: Seeded) -> Result:
    work = workdir(name, PROJECTS / "rspec-textkit", [], seeded)
    test = sh("rspec --format documentation --format json --out report.json", work, timeout=60, limit_mb=2048)
    needles: list[str | re.Pattern[str]] = []
    report = work / "report.json"
    data = json.loads(report.read_text()) if report.exists() and report.stat().st_size else {}
    for example in data.get("examples", []):
        if example.get("status") != "failed":
            continue
        needles.append(re.compile(rf"^\s*\d+\) {re.escape(example['full_description'])}$"))
        message = first_line(example.get("exception", {}).get("message"))
        if message:
            needles.append(message[:120])
        needles.append(f"rspec {example['file_path']}:{example['line_number']} ")
    for msg in data.get("messages", []):  # a load error: Ruby's own message
        needles += [t.strip() for t in msg.splitlines() if "Error" in t][:2]
    setup = noise("gem env", "ruby -v && gem env && gem list --local")  # a Ruby setup step's output
    return Result([apt_step("ruby-full ruby-rspec rake"), setup, test], needles)


# ---- the cases --------------------------------------------------------------------------------

MI = "more_itertools/recipes.py"
MM = "more_itertools/more.py"
TI = "toolz/itertoolz.py"
CASES: dict[str, tuple[str, Callable[[], Result]]] = {
    "python-take": (
        "python",
        lambda: run_pytest(
            "python-take",
            "more-itertools",
            "tests",
            [
                (MI, "return list(islice(iterable, n))", "return list(islice(iterable, n + 1))"),
            ],
        ),
    ),
    "python-ilen-quantify": (
        "python",
        lambda: run_pytest(
            "python-ilen-quantify",
            "more-itertools",
            "tests",
            [
                (
                    MM,
                    "return sum(compress(repeat(1), zip(iterable)))",
                    "return sum(compress(repeat(1), zip(iterable))) - 1",
                ),
                (MI, "return sum(map(pred, iterable))", "return sum(map(pred, iterable)) + 1"),
            ],
        ),
    ),
    "python-toolz": (
        "python",
        lambda: run_pytest(
            "python-toolz",
            "toolz",
            "toolz/tests",
            [
                (TI, "d[item] += 1", "d[item] += 2"),
            ],
        ),
    ),
    "python-fixture": (
        "python",
        lambda: run_pytest(
            "python-fixture",
            "pytest",
            "",
            [
                (
                    "ledger/invoice.py",
                    "rate = TAX_RATES.get(self.region",
                    "rate = TAX_RATES[self.region]  # (",
                ),
            ],
        ),
    ),
    "unittest-take": (
        "python",
        lambda: run_unittest(
            "unittest-take",
            "more-itertools",
            "tests",
            [
                (MI, "return list(islice(iterable, n))", "return list(islice(iterable, n + 1))"),
            ],
        ),
    ),
    "unittest-ilen": (
        "python",
        lambda: run_unittest(
            "unittest-ilen",
            "more-itertools",
            "tests",
            [
                (
                    MM,
                    "return sum(compress(repeat(1), zip(iterable)))",
                    "return sum(compress(repeat(1), zip(iterable))) - 1",
                ),
            ],
        ),
    ),
    "rust-rate": (
        "rust",
        lambda: run_cargo(
            "rust-rate",
            [
                (
                    "src/rate.rs",
                    '.ok_or_else(|| format!("expected <events>/<unit>, got {text:?}"))?;',
                    '.expect("a rate is written as <events>/<unit>");',
                ),
                (
                    "src/size.rs",
                    "Ok((value * factor as f64).round() as u64)",
                    "Ok((value * factor as f64) as u64)",
                ),
            ],
        ),
    ),
    "rust-index": (
        "rust",
        lambda: run_cargo(
            "rust-index",
            [
                (
                    "src/duration.rs",
                    "let unit = &rest[..unit_len];",
                    "let unit = &rest[..unit_len];\n        let _first = rest.as_bytes()[unit_len];",
                ),
            ],
        ),
    ),
    "rust-compile": (
        "rust",
        lambda: run_cargo(
            "rust-compile",
            [
                ("src/duration.rs", "Ok(total)\n}", "Ok(total.as_secs())\n}"),
            ],
        ),
    ),
    "mixed-newcomer": ("rust", lambda: run_newcomer("mixed-newcomer")),
    "go-codec": (
        "go",
        lambda: run_go(
            "go-codec",
            [
                ("codec/codec.go", "\t\tif n < 0 {\n\t\t\treturn nil, ErrNegative\n\t\t}\n", ""),
                (
                    "stats/stats.go",
                    "rank := int(math.Ceil(p / 100 * float64(len(sorted))))",
                    "rank := int(p / 100 * float64(len(sorted)))",
                ),
            ],
        ),
    ),
    "go-lru": (
        "go",
        lambda: run_go(
            "go-lru",
            [
                (
                    "lru/lru.go",
                    "return &Cache{capacity: capacity, order: list.New(), items: map[string]*list.Element{}}",
                    "return &Cache{capacity: capacity, order: list.New()}",
                ),
            ],
        ),
    ),
    "jest-cart": (
        "javascript",
        lambda: run_jest(
            "jest-cart",
            [
                ("src/cart.js", "cents: unitCents * quantity }))", "cents: unitCents }))"),
            ],
        ),
    ),
    "vitest-cart": (
        "javascript",
        lambda: run_vitest(
            "vitest-cart",
            [
                ("src/cart.js", "cents: unitCents * quantity }))", "cents: unitCents }))"),
            ],
        ),
    ),
    "tsc-tasks": ("typescript", lambda: run_tsc("tsc-tasks", [])),
    "c-compile": ("c", lambda: run_make("c-compile", [])),
    "c-link": (
        "c",
        lambda: run_make(
            "c-link",
            [
                (
                    "src/vars.c",
                    "void vars_free(vars *v) { free(v); }",
                    "void vars_release(vars *v) { free(v); }",
                ),
            ],
        ),
    ),
    "c-clang": (
        "c",
        lambda: run_make(
            "c-clang",
            [
                (
                    "src/vars.c",
                    "int vars_get(const vars *v, const char *name, double *out) {",
                    "int vars_get(const vars *v, const char *name, double *out) {\n    undeclared_helper(v);",
                ),
            ],
            cc="clang",
        ),
    ),
    "c-ctest": (
        "c",
        lambda: run_ctest(
            "c-ctest",
            [
                (
                    "src/parser.c",
                    "if (op == '*') value *= rhs;",
                    "if (op == '*') value *= rhs + (rhs > 99);",
                ),
            ],
        ),
    ),
    "java-maven": (
        "java",
        lambda: run_maven(
            "java-maven",
            [
                ("src/main/java/com/example/orders/TaxPolicy.java", '"NL", 21', '"NL", 9'),
            ],
        ),
    ),
}


def label_lines(log: str, needles: list[str | re.Pattern[str]], start: int) -> list[str]:
    """The first line from ``start`` on carrying each needle, as the log has it."""
    lines = log.split("\n")
    visible = [STAMP.sub("", strip_ansi(t), count=1) for t in lines]
    found: list[str] = []
    for needle in needles:
        for i in range(start, len(lines)):
            if "::error file=" in visible[i]:  # a command printed mid-line: no annotation
                continue
            if (
                needle.search(visible[i])
                if isinstance(needle, re.Pattern)
                else needle in visible[i]
            ):
                if strip_ansi(lines[i]) not in found:
                    found.append(strip_ansi(lines[i]))
                break
        else:
            print(f"    needle not found: {needle!r}", file=sys.stderr)
    return found


FIXED_TOOLS = {"python": "pytest", "unittest": "unittest", "rust": "cargo", "mixed": "cargo",
               "go": "go test", "jest": "jest", "vitest": "vitest", "tsc": "tsc", "c-clang": "clang",
               "c-ctest": "ctest", "c": "gcc", "java": "maven"}  # fmt: skip


def fixed_tool(name: str) -> str:
    for prefix in sorted(FIXED_TOOLS, key=len, reverse=True):
        if name.startswith(prefix):
            return FIXED_TOOLS[prefix]
    return "?"


def _py(project: str, files: tuple[str, ...], tests: str, unit: bool = False):  # type: ignore[no-untyped-def]
    def make(name: str, seed: int) -> Result:
        seeded = Seeded(files, seed, "python")
        if unit:
            return run_unittest(name, project, tests, [], seeded)
        return run_pytest(name, project, tests, [], seeded)

    return make


def _glob(root: Path, pattern: str) -> tuple[str, ...]:
    return tuple(str(p.relative_to(root)) for p in sorted(root.glob(pattern)))


TSC_FILES = _glob(FIXTURE_SRC / "tsc", "src/**/*.ts")
C_FILES = ("src/lexer.c", "src/parser.c", "src/eval.c", "src/vars.c", "src/strbuf.c")
JAVA_FILES = _glob(FIXTURE_SRC / "maven", "src/main/java/**/*.java")
RUST_FILES = ("src/duration.rs", "src/size.rs", "src/rate.rs")
SEMVER_FILES = ("classes/comparator.js", "classes/range.js", "classes/semver.js",
                "functions/coerce.js", "functions/diff.js", "functions/inc.js",
                "internal/identifiers.js", "internal/parse-options.js", "ranges/intersects.js",
                "ranges/min-version.js", "ranges/outside.js", "ranges/simplify.js")  # fmt: skip

# (ecosystem, tool, name prefix, seeds, how to run one seed)
SEEDED: list[tuple[str, str, str, int, Callable[[str, int], Result]]] = [
    ("python", "pytest", "pytest-more-itertools", 8, _py("more-itertools", ("more_itertools/more.py", "more_itertools/recipes.py"), "tests")),
    ("python", "pytest", "pytest-toolz", 7, _py("toolz", ("toolz/itertoolz.py", "toolz/dicttoolz.py", "toolz/functoolz.py"), "toolz/tests")),
    ("python", "pytest", "pytest-inflection", 10, _py("inflection", ("inflection/__init__.py",), "test_inflection.py")),
    ("python", "pytest", "pytest-jmespath", 10, _py("jmespath", ("jmespath/lexer.py", "jmespath/parser.py", "jmespath/functions.py", "jmespath/visitor.py"), "tests")),
    ("python", "pytest", "pytest-pathspec", 8, _py("pathspec", ("pathspec/patterns/gitwildmatch.py", "pathspec/pathspec.py", "pathspec/util.py", "pathspec/gitignore.py"), "tests")),
    ("python", "pytest", "pytest-cachetools", 8, _py("cachetools", ("src/cachetools/__init__.py", "src/cachetools/keys.py", "src/cachetools/func.py"), "tests")),
    ("python", "pytest", "pytest-boltons", 8, _py("boltons", ("boltons/strutils.py", "boltons/iterutils.py", "boltons/dictutils.py", "boltons/listutils.py", "boltons/setutils.py"), "tests")),
    ("python", "pytest", "pytest-ledger", 5, _py("pytest", tuple(_glob(FIXTURE_SRC / "pytest", "ledger/*.py")), "")),
    ("python", "unittest", "unittest-more-itertools", 6, _py("more-itertools", ("more_itertools/more.py", "more_itertools/recipes.py"), "tests", unit=True)),
    ("python", "unittest", "unittest-jmespath", 5, _py("jmespath", ("jmespath/lexer.py", "jmespath/parser.py", "jmespath/functions.py"), "tests", unit=True)),
    ("python", "unittest", "unittest-cachetools", 5, _py("cachetools", ("src/cachetools/__init__.py", "src/cachetools/keys.py"), "tests", unit=True)),
    ("javascript", "jest", "jest-cart", 10, lambda n, k: run_jest(n, [], Seeded(("src/cart.js", "src/money.js"), k, "js"))),
    ("javascript", "vitest", "vitest-cart", 8, lambda n, k: run_vitest(n, [], Seeded(("src/cart.js", "src/money.js"), k, "js"))),
    ("javascript", "eslint", "eslint-semver", 14, lambda n, k: run_eslint(n, Seeded(SEMVER_FILES, k, "js", ("delete-line", "delete-line", "flip-comparison")))),
    ("typescript", "tsc", "tsc-tasks", 12, lambda n, k: run_tsc(n, [], Seeded(TSC_FILES, k, "ts"))),
    ("rust", "cargo", "cargo-units", 12, lambda n, k: run_cargo(n, [], seeded=Seeded(RUST_FILES, k, "rust"))),
    ("rust", "cargo", "cargo-newcomer", 8, lambda n, k: run_cargo(n, [], NEWCOMER / "crate", Seeded(("src/lib.rs",), k, "rust"))),
    *[("go", "go test", f"go-{pkg.replace('/', '-')}", 2, (lambda p: lambda n, k: run_go_std(n, p, k))(pkg)) for pkg in GO_STD],
    ("c", "gcc", "make-gcc", 10, lambda n, k: run_make(n, [], "gcc", Seeded(C_FILES, k, "c"))),
    ("c", "clang", "make-clang", 6, lambda n, k: run_make(n, [], "clang", Seeded(C_FILES, k, "c"))),
    ("c", "ctest", "ctest-calc", 8, lambda n, k: run_ctest(n, [], Seeded(C_FILES, k, "c"))),
    ("java", "maven", "maven-orders", 10, lambda n, k: run_maven(n, [], Seeded(JAVA_FILES, k, "java"))),
    ("php", "phpunit", "phpunit-stock", 14, lambda n, k: run_phpunit(n, Seeded(("src/Stock.php", "src/Sku.php"), k, "php"))),
    ("ruby", "rspec", "rspec-textkit", 14, lambda n, k: run_rspec(n, Seeded(("lib/textkit.rb",), k, "ruby"))),
]  # fmt: skip
OTHER_FRAMINGS = ("gitlab", "azure-pipelines", "buildkite", "jenkins")


def all_cases() -> dict[str, tuple[str, str, Callable[[], Result], str]]:
    """name -> (ecosystem, tool, run, the third framing); framings rotate per ecosystem."""
    cases: dict[str, tuple[str, str, Callable[[], Result], str]] = {}
    turn: dict[str, int] = {}
    for name, (eco, make) in CASES.items():
        k = turn[eco] = turn.get(eco, -1) + 1
        cases[name] = (eco, fixed_tool(name), make, OTHER_FRAMINGS[k % 4])
    for eco, tool, prefix, seeds, run in SEEDED:
        for seed in range(1, seeds + 1):
            name = f"{prefix}-s{seed}"
            k = turn[eco] = turn.get(eco, -1) + 1
            cases[name] = (eco, tool, (lambda r, n, s: lambda: r(n, s))(run, name, seed), OTHER_FRAMINGS[k % 4])
    return cases


RUNNER_EXIT = ("Process completed with exit code", "Bash exited with code")


def run_case(name: str) -> dict[str, object]:
    """Runs one case; writes its logs and ``cases/<name>.json`` (labels, seed, mutations)."""
    eco, tool, make, third = all_cases()[name]
    APPLIED.clear()
    began = time.monotonic()
    record_path = OUT / "cases" / f"{name}.json"
    try:
        result = make()
    except (StepTimeout, subprocess.SubprocessError, OSError, ValueError, ET.ParseError) as exc:
        entry = {"dropped": f"{type(exc).__name__}: {exc}"[:300], "seconds": round(time.monotonic() - began, 1)}
        record_path.write_text(json.dumps(entry, indent=1))
        return {"name": name, **entry}
    logs: dict[str, dict[str, object]] = {}
    framers = [(None, frame_plain), ("github-actions", FRAMINGS["github-actions"]), (third, FRAMINGS[third])]
    for framed, framer in framers:
        key = name if framed is None else f"{name}.{SUFFIX[framed]}"
        log, start = framer(result.steps, seed=key)
        lines = label_lines(log, result.needles, start)
        lines += [
            strip_ansi(t) for t in log.split("\n")[start:]
            if "##[error]" in t and not any(x in t for x in RUNNER_EXIT)
        ]  # fmt: skip
        logs[key] = {
            "log": f"{key}.log",
            "ecosystem": eco,
            "tool": tool,
            "framed": framed,
            "commands": [s.command for s in result.steps],
            "lines": lines,
        }
        if lines:
            (OUT / f"{key}.log").write_text(log, encoding="utf-8")
    seconds = round(time.monotonic() - began, 1)
    if not logs[name]["lines"]:
        entry: dict[str, object] = {"dropped": "no labels", "seconds": seconds, "mutations": APPLIED}
    else:
        entry = {"seconds": seconds, "mutations": APPLIED, "logs": logs}
    record_path.write_text(json.dumps(entry, indent=1, ensure_ascii=False))
    shutil.rmtree(BUILD / "work" / name, ignore_errors=True)
    shutil.rmtree(BUILD / "target" / name, ignore_errors=True)
    return {"name": name, **entry}


def setup() -> None:
    """The tools' environments under BUILD: a venv (pytest, xmlrunner) and node packages."""
    BUILD.mkdir(parents=True, exist_ok=True)
    if not PY.exists():
        subprocess.run([sys.executable, "-m", "venv", str(BUILD / "venv")], check=True)
        subprocess.run([str(PY), "-m", "pip", "install", "-q", "pytest==9.0.3",
                        "unittest-xml-reporting", "pytest-github-actions-annotate-failures"], check=True)  # fmt: skip
    if not (NODE_BIN / "eslint").exists():
        (BUILD / "nodeenv").mkdir(exist_ok=True)
        (BUILD / "nodeenv" / "package.json").write_text('{"private": true}')
        subprocess.run("npm install --no-audit --no-fund jest@30 vitest typescript@5.9 eslint@9 "
                       "@eslint/js@9 globals semver@7", shell=True, cwd=BUILD / "nodeenv", check=True)  # fmt: skip
    for name in SDISTS:
        sdist(name)


def collect() -> dict[str, dict[str, object]]:
    labels: dict[str, dict[str, object]] = {}
    for path in sorted((OUT / "cases").glob("*.json")):
        entry = json.loads(path.read_text(encoding="utf-8"))
        for key, log in entry.get("logs", {}).items():
            if log["lines"]:
                labels[key] = {**log, "seed_mutations": entry.get("mutations", [])}
    return labels


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", help="run these cases again (shell patterns); the rest stay")
    ap.add_argument("--force", action="store_true", help="run every case again, even those done")
    ap.add_argument("--jobs", type=int, default=2, help="cases run in parallel")
    ap.add_argument("--fixtures", type=Path, help="also copy a few dozen logs here, with labels")
    args = ap.parse_args()
    if args.jobs < 1:
        ap.error("--jobs must be at least 1")
    (OUT / "cases").mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    setup()
    cases = all_cases()
    if args.only:
        todo = [n for n in cases if any(fnmatch.fnmatch(n, p) for p in args.only)]
    else:
        todo = [n for n in cases if args.force or not (OUT / "cases" / f"{n}.json").exists()]
    print(f"{len(todo)} of {len(cases)} cases to run, {args.jobs} at a time", file=sys.stderr)
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run_case, n): n for n in todo}
        for done, future in enumerate(as_completed(futures), 1):
            try:
                got = future.result()
            except Exception as exc:  # a broken case must not stop the rest
                print(f"[{done}/{len(todo)}] {futures[future]}: crashed: {exc!r}", file=sys.stderr)
                continue
            what = got.get("dropped") or f"{sum(len(x['lines']) for x in got['logs'].values()) // 3} labels"
            print(f"[{done}/{len(todo)}] {got['name']} ({got['seconds']} s): {what}", file=sys.stderr)
    labels = collect()
    (OUT / "labels.json").write_text(json.dumps(labels, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    runs = {k.split(".")[0] for k in labels}
    print(f"{len(runs)} runs, {len(labels)} logs in {time.monotonic() - began:.0f} s", file=sys.stderr)
    if args.fixtures:
        copy_fixtures(labels, args.fixtures)
    return 0


# Logs the tests name: the hand-written cases' plain and GitHub Actions logs
NAMED_FIXTURES = ("python-take", "mixed-newcomer", "rust-index.gha")


def pick_fixtures(labels: dict[str, dict[str, object]], limit: int = 66) -> list[str]:
    """A few dozen small logs: for every ecosystem and framing the smallest two (the second
    from another case), favouring tools no pick has covered yet."""
    size = {k: (OUT / str(e["log"])).stat().st_size for k, e in labels.items()}
    fits = {k for k in labels if size[k] <= 100_000 and len(labels[k]["lines"]) >= 2}  # type: ignore[arg-type]
    picked = [k for k in NAMED_FIXTURES if k in labels]
    tools = {labels[k]["tool"] for k in picked}
    ecos = sorted({str(e["ecosystem"]) for e in labels.values()})
    framings = [None, *FRAMINGS]
    for rnd in range(2):
        for eco in ecos:
            for framed in framings:
                cases = {k.split(".")[0] for k in picked}
                pool = [k for k in fits if labels[k]["ecosystem"] == eco and labels[k]["framed"] == framed
                        and k not in picked and (rnd == 0 or k.split(".")[0] not in cases)]  # fmt: skip
                pool.sort(key=lambda k: (labels[k]["tool"] in tools, size[k]))
                if pool and len(picked) < limit:
                    picked.append(pool[0])
                    tools.add(labels[pool[0]]["tool"])
    return sorted(picked)


def copy_fixtures(labels: dict[str, dict[str, object]], target: Path) -> None:
    """A few dozen logs and their labels, for tests that must not depend on this script."""
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob("*.log"):
        old.unlink()
    kept = {k: labels[k] for k in pick_fixtures(labels)}
    for entry in kept.values():
        shutil.copyfile(OUT / str(entry["log"]), target / str(entry["log"]))
    (target / "labels.json").write_text(
        json.dumps(kept, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    rows = [
        f"| `{entry['log']}` | {entry['ecosystem']} | {entry['tool']} | {entry['framed'] or 'plain'} | "
        + "<br>".join(f"`{c}`".replace("\n", "`<br>`") for c in entry["commands"]).replace(  # type: ignore[union-attr]
            "|", "\\|"
        )
        + " |"
        for entry in kept.values()
    ]
    (target / "README.md").write_text(FIXTURE_README + "\n".join(rows) + "\n", encoding="utf-8")


FIXTURE_README = """# Logs of today's failures, made by bench/corpus/make.py

Real output of real tools run on mutated projects (see bench/corpus/README.md for the
projects, mutations and tool versions). `labels.json` holds, per log, the lines each tool's own
structured report names as its failures (pytest --junitxml, xmlrunner XML, libtest JSON,
go test -json, jest/vitest JSON, ESLint JSON, gcc JSON diagnostics, tsc, ctest JUnit, surefire
XML, PHPUnit JUnit, RSpec JSON), mapped to the log lines carrying them, the seed and mutations
of the run, and the commands that produced the log. FRAMED logs (every framing but `plain`)
are the same runs written as a CI runner writes a job's log (GitHub Actions, GitLab CI, Azure
Pipelines, Buildkite, Jenkins), following each runner's documented format (cited in
bench/corpus/README.md); no runner ran, and the runner's own lines are the only ones not
printed by a tool. The PHPUnit and RSpec projects were written for the corpus. Regenerate with
`python bench/corpus/make.py --fixtures tests/fixtures/logs/corpus`.

| log | ecosystem | tool | framing | commands (each step) |
| --- | --- | --- | --- | --- |
"""


if __name__ == "__main__":
    sys.exit(main())
