"""Builds a corpus of today's CI failures by running real tools on mutated projects.

    python bench/corpus/make.py [--only NAME ...]

Each case copies a small project (PyPI sdists with their own test suites, the projects under
tests/fixtures/logs/src), applies a few source mutations so that several tests fail at once,
runs the real tool and keeps its output as a log. The failure lines a reader needs come from
the tool's own structured report (pytest --junitxml, xmlrunner XML, jest/vitest --json,
go test -json, libtest's JSON, gcc's JSON diagnostics, tsc --pretty false, surefire XML,
ctest's JUnit): each report's message is mapped to the first log line of the failing step
that carries it. Nothing here reads tokenls's code.

Every run is kept twice: as a shell transcript (``<case>.log``) and framed as a GitHub Actions
runner writes its raw log (``<case>.gha.log``, see ``frame.py``). Output: bench/corpus/out/
(git-ignored) with labels.json: per log its ecosystem, framing, commands and label lines.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from frame import STAMP, Step, frame_gha, frame_plain, strip_ansi

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
FIXTURE_SRC = ROOT / "tests" / "fixtures" / "logs" / "src"
OUT = HERE / "out"
BUILD = Path(os.environ.get("CORPUS_BUILD", "/tmp/tokenls-corpus"))
PY = BUILD / "venv" / "bin" / "python"
NODE_BIN = BUILD / "nodeenv" / "node_modules" / ".bin"
SDISTS = {"more-itertools": "10.5.0", "toolz": "1.0.0"}
Mutation = tuple[str, str, str]  # file, old text (must occur once), new text


@dataclass
class Result:
    steps: list[Step]
    # What each failure's lines contain: a substring, or a pattern the line must match.
    needles: list[str | re.Pattern[str]] = field(default_factory=list)


def sh(cmd: str, cwd: Path, env: dict[str, str] | None = None, timeout: int = 600) -> Step:
    """Runs ``cmd`` with stdout and stderr merged, as a CI step shows them."""
    full = dict(os.environ, **(env or {}))
    proc = subprocess.run(
        ["bash", "-c", cmd], cwd=cwd, env=full, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, timeout=timeout, check=False,
    )  # fmt: skip
    return Step(cmd, proc.stdout.decode("utf-8", "replace"), proc.returncode)


def workdir(name: str, source: Path, mutations: list[Mutation]) -> Path:
    """A fresh copy of ``source`` at a fixed path, mutated."""
    work = BUILD / "work" / name
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(source, work, ignore=shutil.ignore_patterns("node_modules", "target"))
    for file, old, new in mutations:
        path = work / file
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, (name, file, old)
        path.write_text(text.replace(old, new), encoding="utf-8")
    return work


def first_line(text: str | None) -> str:
    for line in strip_ansi(text or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


# ---- setup noise: real output of real commands, run once and reused -------------------------

_NOISE: dict[str, Step] = {}


def noise(key: str, cmd: str, cwd: Path | None = None) -> Step:
    if key not in _NOISE:
        _NOISE[key] = sh(cmd, cwd or BUILD)
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


def run_pytest(name: str, project: str, tests: str, mutations: list[Mutation]) -> Result:
    source = sdist(project) if project in SDISTS else FIXTURE_SRC / project
    work = workdir(name, source, mutations)
    report = work / "report.xml"
    steps = [apt_step("python3-dev"), pip_step()]
    test = sh(
        f"{PY} -m pytest -v -p no:cacheprovider -p no:randomly --junitxml={report} {tests}",
        work, {"GITHUB_ACTIONS": "true", "PYTHONHASHSEED": "0"},
    )  # fmt: skip
    return Result([*steps, test], junit_needles(report))


def run_unittest(name: str, project: str, tests: str, mutations: list[Mutation]) -> Result:
    """unittest's own text report (xmlrunner subclasses its runner) and its XML."""
    work = workdir(name, sdist(project), mutations)
    test = sh(f"{PY} -m xmlrunner discover -v -s {tests} -t . -o reports", work)
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


def run_cargo(name: str, mutations: list[Mutation], source: Path = FIXTURE_SRC / "cargo") -> Result:
    work = workdir(name, source, mutations)
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


def run_go(name: str, mutations: list[Mutation]) -> Result:
    work = workdir(name, FIXTURE_SRC / "go", mutations)
    env = {"GOPROXY": "off", "GOFLAGS": "-mod=mod", "GOCACHE": str(BUILD / "gocache")}
    build = noise("go build", "go version && go env && go build -v -a std 2>&1 | head -300", work)
    test = sh("go test -count=1 -v ./...", work, env)
    report = sh("go test -count=1 -json ./...", work, env)
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
    return Result([build, test], needles)


# ---- JavaScript / TypeScript ----------------------------------------------------------------


def npm_step(work: Path) -> Step:
    return noise(
        "npm", "npm install --no-audit --no-fund --loglevel=http jest@30 2>&1 | head -300", work
    )


def run_jest(name: str, mutations: list[Mutation]) -> Result:
    work = workdir(name, FIXTURE_SRC / "jest", mutations)
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


def run_vitest(name: str, mutations: list[Mutation]) -> Result:
    work = workdir(name, FIXTURE_SRC / "jest", mutations)
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


def run_tsc(name: str, mutations: list[Mutation]) -> Result:
    work = workdir(name, FIXTURE_SRC / "tsc", mutations)
    (work / "node_modules").symlink_to(BUILD / "nodeenv" / "node_modules")
    test = sh(
        f"{NODE_BIN}/tsc -p tsconfig.json --listFiles --extendedDiagnostics --pretty false", work
    )
    # tsc's plain format is its report: file(line,col): error TSnnnn: message
    needles = [t for t in test.output.splitlines() if re.search(r"\(\d+,\d+\): error TS\d+:", t)]
    return Result([apt_step("nodejs"), npm_step(work), test], needles)


# ---- C / C++ ----------------------------------------------------------------------------------


def run_make(name: str, mutations: list[Mutation], cc: str = "gcc") -> Result:
    work = workdir(name, FIXTURE_SRC / "make", mutations)
    build = sh(f"make -k CC={cc} 2>&1", work)
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


def run_ctest(name: str, mutations: list[Mutation]) -> Result:
    work = workdir(name, FIXTURE_SRC / "make", mutations)
    (work / "CMakeLists.txt").write_text(CMAKE)
    configure = sh("cmake -S . -B build -DCMAKE_VERBOSE_MAKEFILE=ON", work)
    build = sh("cmake --build build", work)
    test = sh("cd build && ctest --output-on-failure --output-junit report.xml", work)
    needles: list[str | re.Pattern[str]] = []
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


def run_maven(name: str, mutations: list[Mutation]) -> Result:
    work = workdir(name, FIXTURE_SRC / "maven", mutations)
    test = sh("mvn -B -o verify", work)
    needles = []
    for report in sorted((work / "target" / "surefire-reports").glob("TEST-*.xml")):
        for case in ET.parse(report).iter("testcase"):
            for bad in [*case.iter("failure"), *case.iter("error")]:
                needles.append(f"{case.get('name')}")
                message = first_line(bad.get("message"))
                typ = bad.get("type") or ""
                needles.append(f"{typ}: {message}"[:120] if message else typ)
    needles = [n for n in needles if n]
    return Result([apt_step("openjdk-17-jdk maven"), test], needles)


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
    lines = log.splitlines()
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", help="cases to run again (the rest stay as they are)")
    ap.add_argument("--fixtures", type=Path, help="also copy logs up to 100 kB here, with labels")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    labels_path = OUT / "labels.json"
    labels = json.loads(labels_path.read_text()) if labels_path.exists() and args.only else {}
    for name, (eco, make) in CASES.items():
        if args.only and name not in args.only:
            continue
        print(f"{name}:", file=sys.stderr)
        result = make()
        # Every run twice: as a shell transcript, and as a GitHub Actions raw log.
        for key, framer in ((name, frame_plain), (f"{name}.gha", frame_gha)):
            log, start = framer(result.steps, seed=key)
            lines = label_lines(log, result.needles, start)
            lines += [
                strip_ansi(t) for t in log.splitlines()[start:]
                if "##[error]" in t and "Process completed" not in t
            ]  # fmt: skip
            (OUT / f"{key}.log").write_text(log, encoding="utf-8")
            labels[key] = {
                "log": f"{key}.log",
                "ecosystem": eco,
                "framed": "github-actions" if framer is frame_gha else None,
                "commands": [s.command for s in result.steps],
                "lines": lines,
            }
            print(
                f"    {key}: {len(log.splitlines())} lines, {len(lines)} label lines",
                file=sys.stderr,
            )
    labels_path.write_text(
        json.dumps(labels, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    if args.fixtures:
        copy_fixtures(labels, args.fixtures)
    return 0


def copy_fixtures(labels: dict[str, dict[str, object]], target: Path) -> None:
    """The smaller logs and their labels, for tests that must not depend on this script."""
    target.mkdir(parents=True, exist_ok=True)
    kept = {}
    for key, entry in sorted(labels.items()):
        log = OUT / str(entry["log"])
        if entry["lines"] and (log.stat().st_size <= 100_000):
            shutil.copyfile(log, target / log.name)
            kept[key] = entry
    (target / "labels.json").write_text(
        json.dumps(kept, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    rows = [
        f"| `{entry['log']}` | {entry['ecosystem']} | {'FRAMED' if entry['framed'] else 'plain'} | "
        + "<br>".join(f"`{c}`".replace("\n", "`<br>`") for c in entry["commands"]).replace(
            "|", "\\|"
        )  # type: ignore[union-attr]
        + " |"
        for entry in kept.values()
    ]
    (target / "README.md").write_text(FIXTURE_README + "\n".join(rows) + "\n", encoding="utf-8")


FIXTURE_README = """# Logs of today's failures, made by bench/corpus/make.py

Real output of real tools run on mutated projects (see bench/corpus/README.md for the
projects, mutations and tool versions). `labels.json` holds, per log, the lines each tool's own
structured report names as its failures (pytest --junitxml, xmlrunner XML, libtest JSON,
go test -json, jest/vitest JSON, gcc JSON diagnostics, tsc, ctest JUnit, surefire XML), mapped
to the log lines carrying them, and the commands that produced the log. FRAMED logs are the
same runs written as a GitHub Actions runner writes a job's raw log (timestamps, `##[group]`
steps, `##[error]` annotations), following the runner's documented format; the runner's own
lines are the only ones not printed by a tool. Regenerate with
`python bench/corpus/make.py --fixtures tests/fixtures/logs/corpus`.

| log | ecosystem | framing | commands (each step's first line) |
| --- | --- | --- | --- |
"""


if __name__ == "__main__":
    sys.exit(main())
