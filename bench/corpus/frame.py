"""How a CI job shows the steps it ran: a plain shell transcript, or a CI runner's raw log.

Runners: GitHub Actions, GitLab CI, Azure Pipelines, Buildkite and Jenkins, each following
its documented log format (cited per function); every line a tool printed stays verbatim
after the runner's prefix, if any.

The GitHub Actions form follows the runner's documented raw-log format: every line starts
with an ISO 8601 UTC timestamp with seven fractional digits and a space; a step opens with
``##[group]Run <command>`` (its script and shell inside the group) and ``##[endgroup]``;
workflow commands a tool prints (``::error file=…::msg``, ``::warning::``, ``::group::``)
appear as ``##[error]msg`` and the like; a failed step ends with ``##[error]Process completed
with exit code N.``, later steps do not run, and ``Post job cleanup.`` follows.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b_[^\x07]*\x07")
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z ")
_COMMAND = re.compile(r"^::(error|warning|notice|group|endgroup|debug)(?: [^:]*)?::(.*)$")


@dataclass
class Step:
    command: str
    output: str
    code: int


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text)


def frame_plain(steps: list[Step], seed: str = "") -> tuple[str, int]:
    """``$ command`` then its output, step after step, up to the first that fails."""
    lines: list[str] = []
    start = 0
    for step in steps:
        start = len(lines)
        lines.append(f"$ {step.command}")
        lines += step.output.splitlines()
        if step.code:
            lines.append(f"exit status {step.code}")
            break
    return "".join(t + "\n" for t in lines), start


def frame_gha(steps: list[Step], seed: str = "") -> tuple[str, int]:
    """The raw log a GitHub-hosted runner keeps for a job running ``steps``."""
    digest = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
    clock = [datetime(2025, 4, 11, 19, 32, 20) + timedelta(seconds=digest % 86_400), digest]
    body: list[str] = []

    def emit(text: str, gap_us: int = 0) -> None:
        clock[1] = (clock[1] * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        clock[0] += timedelta(microseconds=gap_us or 40 + clock[1] % 900)
        stamp = clock[0].strftime("%Y-%m-%dT%H:%M:%S.%f") + f"{clock[1] % 10}Z"
        body.append(f"{stamp} {text}")

    emit("Current runner version: '2.323.0'")
    for text in ["##[group]Runner Image Provisioner", "Hosted Compute Agent", "Version: 20250402.263",
                 "##[endgroup]", "##[group]Operating System", "Ubuntu", "24.04.2", "LTS",
                 "##[endgroup]", "##[group]Runner Image", "Image: ubuntu-24.04", "Version: 20250406.1.0",
                 "##[endgroup]", "##[group]GITHUB_TOKEN Permissions", "Contents: read", "Metadata: read",
                 "##[endgroup]", "Secret source: Actions", "Prepare workflow directory",
                 "Prepare all required actions", "Complete job name: test"]:  # fmt: skip
        emit(text)
    start = 0
    for step in steps:
        start = len(body)
        script = step.command.splitlines()
        emit(f"##[group]Run {script[0]}")
        for text in script:
            emit(f"\x1b[36;1m{text}\x1b[0m")
        emit("shell: /usr/bin/bash -e {0}")
        emit("##[endgroup]")
        for text in step.output.splitlines():
            command = _COMMAND.match(strip_ansi(text))
            if command:
                name, message = command.groups()
                text = f"##[{name}]{message}" if name != "endgroup" else "##[endgroup]"
            emit(text)
        if step.code:
            emit(f"##[error]Process completed with exit code {step.code}.", 2000)
            break
    emit("Post job cleanup.", 300_000)
    emit("Cleaning up orphan processes")
    return "".join(t + "\n" for t in body), start


class _Clock:
    """A deterministic clock per log: the seed picks the start, each line moves it on a little."""

    def __init__(self, seed: str) -> None:
        digest = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
        self.now = datetime(2025, 4, 11, 19, 32, 20) + timedelta(seconds=digest % 86_400)
        self.state = digest % (1 << 64)

    def tick(self, gap_us: int = 0) -> datetime:
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        self.now += timedelta(microseconds=gap_us or 40 + self.state % 900)
        return self.now

    def iso7(self, gap_us: int = 0) -> str:
        """ISO 8601 with seven fractional digits, as GitHub and Azure stamp raw log lines."""
        now = self.tick(gap_us)
        return now.strftime("%Y-%m-%dT%H:%M:%S.%f") + f"{self.state % 10}Z"


def _slug(command: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", command.split()[0].rsplit("/", 1)[-1].lower())[:20] or "step"


def frame_gitlab(steps: list[Step], seed: str = "") -> tuple[str, int]:
    """A GitLab CI job trace, as the runner streams it to the job log.

    Follows GitLab's "CI/CD job logs" docs (custom collapsible sections): a section opens with
    ``\\e[0Ksection_start:UNIX_TIMESTAMP:NAME\\r\\e[0KHeader`` and closes with
    ``\\e[0Ksection_end:UNIX_TIMESTAMP:NAME\\r\\e[0K``; the runner's own sections
    (``prepare_executor``, ``get_sources``, ``step_script``) and its coloured
    ``$ command`` echo; a failed job ends with ``ERROR: Job failed: exit code N``.
    """
    clock = _Clock(seed)
    out: list[str] = []

    def stamp() -> int:
        return int(clock.tick(900_000).timestamp())

    def start(name: str, header: str) -> None:
        out.append(f"\x1b[0Ksection_start:{stamp()}:{name}\r\x1b[0K\x1b[0K\x1b[36;1m{header}\x1b[0;m")

    def end(name: str) -> None:
        out.append(f"\x1b[0Ksection_end:{stamp()}:{name}\r\x1b[0K")

    out.append("\x1b[0KRunning with gitlab-runner 17.10.1 (ef334dcc)\x1b[0;m")
    out.append("\x1b[0K  on blue-3.saas-linux-small-amd64.runners-manager.gitlab.com/default zxwgkjAP, system ID: s_0e6850b2bce1\x1b[0;m")
    start("prepare_executor", "Preparing the \"docker+machine\" executor")
    out.append("\x1b[0KUsing Docker executor with image debian:bookworm ...\x1b[0;m")
    out.append("\x1b[0KPulling docker image debian:bookworm ...\x1b[0;m")
    end("prepare_executor")
    start("get_sources", "Getting source from Git repository")
    out.append("\x1b[32;1mFetching changes with git depth set to 20...\x1b[0;m")
    out.append("Initialized empty Git repository in /builds/group/project/.git/")
    out.append("\x1b[32;1mChecking out 4f2a9c1e as detached HEAD (ref is main)...\x1b[0;m")
    end("get_sources")
    start("step_script", "Executing \"step_script\" stage of the job script")
    begin = len(out)
    failed = 0
    for step in steps:
        begin = len(out)
        for text in step.command.splitlines():
            out.append(f"\x1b[32;1m$ {text}\x1b[0;m")
        out += step.output.splitlines()
        if step.code:
            failed = step.code
            break
    end("step_script")
    start("cleanup_file_variables", "Cleaning up project directory and file based variables")
    end("cleanup_file_variables")
    if failed:
        out.append(f"\x1b[31;1mERROR: Job failed: exit code {failed}\n\x1b[0;m")
    return "".join(t + "\n" for t in out), begin


def frame_azure(steps: list[Step], seed: str = "") -> tuple[str, int]:
    """An Azure Pipelines job log, as its "Download logs" gives it.

    Follows Microsoft's "Logging commands" and "Review logs" docs: every line stamped like
    GitHub's (ISO 8601, seven fractional digits); ``##[section]Starting: <step>`` and
    ``##[section]Finishing: <step>`` around each task; the Bash task's banner; ``##vso[…]``
    logging commands a step prints (here ``task.prependpath`` and ``task.setvariable``, as a
    tool-installer step prints them); a failed Bash task ends with ``##[error]Bash exited with
    code 'N'.``, later steps are skipped.
    """
    clock = _Clock(seed)
    out: list[str] = []

    def emit(text: str, gap_us: int = 0) -> None:
        out.append(f"{clock.iso7(gap_us)} {text}")

    emit("##[section]Starting: Initialize job")
    for text in ["Agent name: 'Azure Pipelines 3'", "Agent machine name: 'fv-az1234-567'",
                 "Current agent version: '4.252.0'", "##[group]Operating System", "Ubuntu",
                 "24.04.2", "LTS", "##[endgroup]", "##[group]Runner Image",
                 "Image: ubuntu-24.04", "Version: 20250406.1.0", "##[endgroup]"]:  # fmt: skip
        emit(text)
    emit("##[section]Finishing: Initialize job")
    emit("##[section]Starting: Use tools")
    emit("##vso[task.prependpath]/opt/hostedtoolcache/tools/current/x64/bin")
    emit("##vso[task.setvariable variable=TOOLS_HOME]/opt/hostedtoolcache/tools/current/x64")
    emit("##[section]Finishing: Use tools")
    begin = 0
    for step in steps:
        name = step.command.splitlines()[0][:60]
        emit(f"##[section]Starting: {name}")
        emit("=" * 78)
        for text in ["Task         : Bash", "Description  : Run a Bash script on macOS, Linux, or Windows",
                     "Version      : 3.250.1", "Author       : Microsoft Corporation",
                     "Help         : https://docs.microsoft.com/azure/devops/pipelines/tasks/utility/bash"]:  # fmt: skip
            emit(text)
        emit("=" * 78)
        emit("Generating script.")
        emit("========================== Starting Command Output ===========================")
        begin = len(out)
        emit("/usr/bin/bash /home/vsts/work/_temp/3b1d2e7c-2a2f-4b8e-9d51-0c7a41b5e6f3.sh")
        for text in step.output.splitlines():
            emit(text)
        if step.code:
            emit(f"##[error]Bash exited with code '{step.code}'.", 2000)
            emit(f"##[section]Finishing: {name}")
            break
        emit(f"##[section]Finishing: {name}")
    emit("##[section]Starting: Finalize Job", 300_000)
    emit("Cleaning up task key")
    emit("##[section]Finishing: Finalize Job")
    return "".join(t + "\n" for t in out), begin


def frame_buildkite(steps: list[Step], seed: str = "") -> tuple[str, int]:
    """A Buildkite job log, as the agent uploads it.

    Follows Buildkite's "Managing log output" docs: ``--- title`` opens a collapsed group,
    ``+++ title`` an expanded one, ``~~~`` a collapsed one without timing, and ``^^^ +++``
    expands the previous group (printed when a command fails); each line carries the agent's
    ``\\e_bk;t=<milliseconds>\\a`` timestamp; a failed command ends with
    ``🚨 Error: The command exited with status N``.
    """
    clock = _Clock(seed)
    out: list[str] = []

    def emit(text: str, gap_us: int = 0) -> None:
        ms = int(clock.tick(gap_us).timestamp() * 1000)
        out.append(f"\x1b_bk;t={ms}\x07{text}")

    emit("~~~ Running agent environment hook")
    emit("$ /etc/buildkite-agent/hooks/environment")
    emit("~~~ Preparing working directory")
    emit("$ cd /var/lib/buildkite-agent/builds/agent-1/org/project")
    emit("$ git fetch -v --prune -- origin 4f2a9c1e")
    emit("HEAD is now at 4f2a9c1 Merge pull request #412")
    emit("~~~ Running commands")
    begin = 0
    for step in steps:
        emit(f"--- :hammer: {step.command.splitlines()[0][:60]}")
        begin = len(out)
        emit(f"$ {step.command.splitlines()[0]}")
        for text in step.output.splitlines():
            emit(text)
        if step.code:
            emit("^^^ +++")
            emit(f"🚨 Error: The command exited with status {step.code}", 2000)
            break
    emit("~~~ Running agent pre-exit hook", 300_000)
    return "".join(t + "\n" for t in out), begin


def frame_jenkins(steps: list[Step], seed: str = "") -> tuple[str, int]:
    """A Jenkins Pipeline build's console output.

    Follows the Jenkins Pipeline docs ("Pipeline Syntax", "Running Pipelines"): the
    ``[Pipeline]`` lines Jenkins writes per step (``node``, ``stage``, ``{ (Name)``, ``sh``,
    ``}``, ``// stage``), the ``+ command`` echo of ``sh`` steps (``set -x``); after a failed
    ``sh``, later stages are skipped (``Stage "X" skipped due to earlier failure(s)``), and the
    build ends with ``ERROR: script returned exit code N`` and ``Finished: FAILURE``.
    """
    out = ["Started by user Build Admin", "Obtained Jenkinsfile from git https://git.example.com/project.git",
           "[Pipeline] Start of Pipeline", "[Pipeline] node",
           "Running on agent-linux-2 in /var/lib/jenkins/workspace/project_main", "[Pipeline] {",
           "[Pipeline] stage", "[Pipeline] { (Declarative: Checkout SCM)", "[Pipeline] checkout",
           "The recommended git tool is: NONE", " > git rev-parse --resolve-git-dir /var/lib/jenkins/workspace/project_main/.git # timeout=10",
           "Checking out Revision 4f2a9c1e (refs/remotes/origin/main)", "[Pipeline] }",
           "[Pipeline] // stage", "[Pipeline] withEnv", "[Pipeline] {"]  # fmt: skip
    begin = 0
    failed = 0
    names = ["Setup", "Build", "Test", "Check", "Report"]
    for k, step in enumerate(steps):
        name = names[k] if k < len(names) else f"Step {k + 1}"
        if failed:
            out += ["[Pipeline] stage", f"[Pipeline] {{ ({name})",
                    f'Stage "{name}" skipped due to earlier failure(s)', "[Pipeline] }",
                    "[Pipeline] // stage"]  # fmt: skip
            continue
        out += ["[Pipeline] stage", f"[Pipeline] {{ ({name})", "[Pipeline] sh"]
        begin = len(out)
        out += [f"+ {text}" for text in step.command.splitlines()]
        out += step.output.splitlines()
        out += ["[Pipeline] }", "[Pipeline] // stage"]
        failed = step.code
    out += ["[Pipeline] }", "[Pipeline] // withEnv", "[Pipeline] }", "[Pipeline] // node",
            "[Pipeline] End of Pipeline"]  # fmt: skip
    if failed:
        out += [f"ERROR: script returned exit code {failed}", "Finished: FAILURE"]
    return "".join(t + "\n" for t in out), begin


FRAMINGS = {
    "github-actions": frame_gha,
    "gitlab": frame_gitlab,
    "azure-pipelines": frame_azure,
    "buildkite": frame_buildkite,
    "jenkins": frame_jenkins,
}
SUFFIX = {"github-actions": "gha", "gitlab": "gitlab", "azure-pipelines": "azure",
          "buildkite": "buildkite", "jenkins": "jenkins"}  # fmt: skip
