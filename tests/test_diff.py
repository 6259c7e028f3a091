"""``tokenls diff`` on real repositories: each side counted in its own tree, every figure
held to tiktoken's count of the texts committed at that revision."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import truth
from tests.repos import Repo
from tokenls.cli.main import main
from tokenls.history.compare import revisions
from tokenls.history.git import Repository
from tokenls.history.git_hardening import GitError

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

ENC = "o200k_base"
CLAUDE_1 = "# Project\n\nWrite tests first. Keep functions small and names plain.\n"
CLAUDE_2 = CLAUDE_1 + "\nFollow the house style: @docs/style.md\n"
CLAUDE_3 = CLAUDE_2 + "Explain every public function in one sentence.\n"
STYLE_1 = "# Style\n\nUse type hints everywhere.\n"
STYLE_2 = STYLE_1 + "Prefer dataclasses for plain records; name modules for what they hold.\n"
REVIEW_1 = "Review the change against [the guide](../docs/guide.md).\nList each problem.\n"
REVIEW_2 = REVIEW_1 + "Be brief.\n"
GUIDE_1 = "Look for missing tests and unclear names.\n"
GUIDE_2 = GUIDE_1 + "Flag every function longer than forty lines, and say why it grew.\n"


def t(text: str) -> int:
    return truth(text, ENC)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Repo, dict[str, str]]:
    """start → import added → imported file grown → rename; a feature branch that grows
    CLAUDE.md, a guide change on main, then the feature merged into main."""
    repo = Repo(tmp_path / "repo")
    commits = {
        "start": repo.commit(
            "start",
            {
                "CLAUDE.md": CLAUDE_1,
                "docs/style.md": STYLE_1,
                "docs/guide.md": GUIDE_1,
                "prompts/review.prompt.md": REVIEW_1,
            },
        ),
        "import": repo.commit("import the style guide", {"CLAUDE.md": CLAUDE_2}),
        "grow": repo.commit("grow the style guide", {"docs/style.md": STYLE_2}),
    }
    repo.git("mv", "prompts/review.prompt.md", "prompts/code-review.prompt.md")
    commits["rename"] = repo.commit("rename", {"prompts/code-review.prompt.md": REVIEW_2})
    repo.git("checkout", "-q", "-b", "feature")
    commits["feature"] = repo.commit("longer rules", {"CLAUDE.md": CLAUDE_3})
    repo.git("checkout", "-q", "main")
    commits["guide"] = repo.commit("longer guide", {"docs/guide.md": GUIDE_2})
    repo.git("merge", "-q", "--no-ff", "-m", "merge feature", "feature")
    commits["merge"] = repo.git("rev-parse", "HEAD")
    monkeypatch.chdir(repo.root)
    return repo, commits


def diff(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    code = main(["diff", "--json", *args])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def by_path(document: dict) -> dict[str, dict]:
    return {p["path"]: p for p in document["prompts"]}


def test_an_import_added_counts_the_imported_file(repo, capsys) -> None:
    _, commits = repo
    document = diff(capsys, commits["start"], commits["import"])
    assert document["schema_version"] == 1
    assert document["base"]["commit"] == commits["start"]
    claude = by_path(document)["CLAUDE.md"]
    before, after = t(CLAUDE_1), t(CLAUDE_2) + t(STYLE_1)
    assert (claude["before"]["tokens"], claude["after"]["tokens"]) == (before, after)
    assert claude["delta"] == after - before
    assert claude["percent"] == round((after - before) / before * 100, 2)
    assert claude["status"] == "modified"
    changes = {c["target"]: c for c in claude["changes"]}
    assert changes["own text"]["delta"] == t(CLAUDE_2) - t(CLAUDE_1)
    assert changes["docs/style.md"]["change"] == "added"
    assert changes["docs/style.md"]["after"] == t(STYLE_1)
    assert claude["after"]["references"] == [
        {"target": "docs/style.md", "kind": "file", "tokens": t(STYLE_1)}
    ]


def test_a_referenced_file_grown_is_what_changed(repo, capsys) -> None:
    _, commits = repo
    document = diff(capsys, f"{commits['import']}..{commits['grow']}")
    prompts = by_path(document)
    claude = prompts["CLAUDE.md"]
    assert claude["delta"] == t(STYLE_2) - t(STYLE_1)
    assert [(c["target"], c["change"], c["before"], c["after"]) for c in claude["changes"]] == [
        ("docs/style.md", "grown", t(STYLE_1), t(STYLE_2))
    ]
    assert prompts["docs/style.md"]["delta"] == t(STYLE_2) - t(STYLE_1)  # a prompt itself too
    assert "prompts/review.prompt.md" not in prompts  # nothing it reads changed
    assert document["unchanged"] == 2


def test_a_renamed_prompt_is_followed(repo, capsys) -> None:
    _, commits = repo
    prompt = by_path(diff(capsys, commits["grow"], commits["rename"]))[
        "prompts/code-review.prompt.md"
    ]
    assert prompt["old_path"] == "prompts/review.prompt.md"
    assert prompt["status"] == "renamed"
    assert prompt["before"]["tokens"] == t(REVIEW_1) + t(GUIDE_1)
    assert prompt["after"]["tokens"] == t(REVIEW_2) + t(GUIDE_1)
    assert [c["target"] for c in prompt["changes"]] == ["own text"]  # the guide is the same


def test_three_dots_start_from_the_merge_base(repo, capsys) -> None:
    _, commits = repo
    three = by_path(diff(capsys, f"{commits['guide']}...{commits['feature']}"))
    assert set(three) == {"CLAUDE.md"}  # only the feature's own change
    assert three["CLAUDE.md"]["delta"] == t(CLAUDE_3) - t(CLAUDE_2)
    two = by_path(diff(capsys, f"{commits['guide']}..{commits['feature']}"))
    review = two["prompts/code-review.prompt.md"]  # main's guide change, seen backwards
    assert review["delta"] == t(GUIDE_1) - t(GUIDE_2)


def test_a_merge_commit_against_its_first_parent(repo, capsys) -> None:
    _, commits = repo
    document = diff(capsys, "HEAD~1", "HEAD")
    assert document["head"]["commit"] == commits["merge"]
    assert document["base"]["commit"] == commits["guide"]
    claude = by_path(document)["CLAUDE.md"]
    assert claude["before"]["tokens"] == t(CLAUDE_2) + t(STYLE_2)
    assert claude["after"]["tokens"] == t(CLAUDE_3) + t(STYLE_2)


def test_the_work_tree_is_the_default_head(repo, capsys) -> None:
    repo_, commits = repo
    style_3 = STYLE_2 + "Write docstrings that say why.\n"
    repo_.write({"docs/style.md": style_3})  # uncommitted
    head = diff(capsys)
    assert head["base"]["revision"] == "HEAD" and head["head"]["commit"] is None
    claude = by_path(head)["CLAUDE.md"]
    assert claude["before"]["tokens"] == t(CLAUDE_3) + t(STYLE_2)
    assert claude["after"]["tokens"] == t(CLAUDE_3) + t(style_3)
    one = by_path(diff(capsys, commits["start"]))  # one revision: it against the work tree
    assert one["CLAUDE.md"]["before"]["tokens"] == t(CLAUDE_1)
    assert one["CLAUDE.md"]["after"]["tokens"] == t(CLAUDE_3) + t(style_3)
    assert one["prompts/code-review.prompt.md"]["old_path"] == "prompts/review.prompt.md"


def test_each_side_reads_its_own_tree_not_the_work_tree(repo, capsys) -> None:
    repo_, commits = repo
    (repo_.root / "docs" / "style.md").unlink()  # gone from the work tree,
    repo_.write({"docs/guide.md": "changed " * 500})  # or changed there
    document = diff(capsys, commits["start"], commits["grow"], "--all")
    prompts = by_path(document)
    assert prompts["CLAUDE.md"]["after"]["tokens"] == t(CLAUDE_2) + t(STYLE_2)
    review = prompts["prompts/review.prompt.md"]
    assert review["before"]["tokens"] == review["after"]["tokens"] == t(REVIEW_1) + t(GUIDE_1)
    assert review["status"] == "unchanged"


def test_paths_limit_the_prompts(repo, capsys) -> None:
    _, commits = repo
    document = diff(capsys, commits["start"], commits["grow"], "docs")
    assert set(by_path(document)) == {"docs/style.md"}


def test_markdown_is_a_table_for_a_pull_request(repo, capsys) -> None:
    _, commits = repo
    assert main(["diff", "--format", "markdown", commits["start"], commits["import"]]) == 0
    text = capsys.readouterr().out
    before, after = t(CLAUDE_1), t(CLAUDE_2) + t(STYLE_1)
    share = (after - before) / before * 100
    assert text.startswith(f"### Token cost: `{commits['start']}..{commits['import']}`")
    assert "| Prompt | Before | After | Δ | % | What changed |" in text
    row = (
        f"| `CLAUDE.md` | {before:,} | {after:,} | {after - before:+,} | {share:+.1f}% | "
        f"own text {t(CLAUDE_2) - t(CLAUDE_1):+,}; `docs/style.md` added {t(STYLE_1):+,} |"
    )
    assert row in text.splitlines()
    assert "o200k_base" in text


def test_markdown_keeps_any_file_name_in_one_cell(tmp_path, monkeypatch, capsys) -> None:
    repo = Repo(tmp_path / "names")
    first = repo.commit("one", {"a|b`c.md": "one two\n"})
    repo.commit("two", {"a|b`c.md": "one two three four\n"})
    monkeypatch.chdir(repo.root)
    assert main(["diff", "--format", "markdown", first, "HEAD"]) == 0
    [row] = [line for line in capsys.readouterr().out.splitlines() if "a\\|b" in line]
    assert row.startswith("| ``a\\|b`c.md`` |")
    assert row.replace("\\|", "").count("|") == 7  # still seven cell borders


def test_text_shows_the_delta_and_its_reasons(repo, capsys) -> None:
    _, commits = repo
    assert main(["diff", "--no-color", commits["import"], commits["grow"]]) == 0
    captured = capsys.readouterr()
    line = next(x for x in captured.out.splitlines() if x.rstrip().endswith("CLAUDE.md"))
    before, after = t(CLAUDE_2) + t(STYLE_1), t(CLAUDE_2) + t(STYLE_2)
    assert f"{after - before:+,}" in line and f"{before:,} → {after:,}" in line
    assert f"{t(STYLE_2) - t(STYLE_1):+,}  docs/style.md (grown)" in captured.out
    assert "2 unchanged" in captured.err


def test_revisions_follow_gits_rules_and_refuse_options(repo) -> None:
    repo_, commits = repo
    git = Repository.find(repo_.root)
    assert revisions(git, []).head is None
    assert revisions(git, ["HEAD~1"]).base == commits["guide"]
    between = revisions(git, [f"{commits['guide']}...{commits['feature']}"])
    assert between.base == commits["rename"] and between.head == commits["feature"]
    for bad in ("--output=/tmp/x", "-p", "HEAD\n--all", ""):
        with pytest.raises(GitError):
            revisions(git, [bad])
    with pytest.raises(GitError):
        revisions(git, ["no-such-branch"])


def test_an_option_in_place_of_a_revision_is_a_usage_error(repo, capsys) -> None:
    repo_, _ = repo
    assert main(["diff", "--", "-x"]) == 2
    assert main(["check", "--against=--output=out.txt", "--max-increase", "1%", "."]) == 2
    assert "not a revision" in capsys.readouterr().err
    assert not (repo_.root / "out.txt").exists()


def test_a_file_named_like_a_revision_is_ambiguous(repo, capsys) -> None:
    repo_, _ = repo
    repo_.write({"main": "a file named main\n"})
    assert main(["diff", "main"]) == 2
    assert "ambiguous" in capsys.readouterr().err
    assert main(["diff", "--json", "./main"]) == 0  # a path


def _executable(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_programs_a_repository_names_are_never_run(repo, capsys) -> None:
    repo_, commits = repo
    marker = repo_.root.parent / "ran"
    script = _executable(repo_.root.parent / "evil.sh", f"#!/bin/sh\ntouch {marker}\nexit 1\n")
    repo_.git("config", "core.fsmonitor", str(script))
    repo_.git("config", "gpg.program", str(script))
    repo_.git("config", "log.showSignature", "true")
    repo_.git("config", "diff.external", str(script))
    # A signed commit makes `git log` run gpg.program when signatures are shown.
    raw = repo_.git("cat-file", "commit", "HEAD")
    head, _, message = raw.partition("\n\n")
    signed = f"{head}\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n x\n -----END PGP SIGNATURE-----\n\n{message}\n"
    signed_path = repo_.root.parent / "signed"
    signed_path.write_text(signed)
    oid = repo_.git("hash-object", "-t", "commit", "-w", str(signed_path))
    repo_.git("update-ref", "refs/heads/main", oid)
    repo_.git("log", "-1")  # the trap works: plain git runs it
    assert marker.exists()
    marker.unlink()
    assert main(["diff", "--json", commits["start"]]) == 0
    assert main(["log", "--json", "CLAUDE.md"]) == 0
    assert main(["check", "--against", "HEAD~1", "--max-increase", "50%", "."]) in (0, 1)
    capsys.readouterr()
    assert not marker.exists()


SCHEMA = json.loads(
    (Path(__file__).parent / "fixtures" / "sarif" / "sarif-schema-2.1.0.json").read_text()
)
PROMPT = "Review the change and list every problem you find in it.\n" * 100


def grown_by(percent: float) -> str:
    """``PROMPT`` grown a word at a time to just under ``percent`` larger (figures from
    tiktoken itself)."""
    words = 0
    while True:
        text = PROMPT + "Also" + " check" * (words + 1) + ".\n"
        if (t(text) - t(PROMPT)) * 100 > percent * t(PROMPT):
            return PROMPT + "Also" + " check" * words + ".\n"
        words += 1


@pytest.fixture
def grown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    repo = Repo(tmp_path / "gate")
    repo.commit("base", {"prompts/review.prompt.md": PROMPT, "docs/notes.md": "Notes.\n"})
    monkeypatch.chdir(repo.root)
    return repo


@pytest.mark.parametrize("form", ["text", "json", "github", "sarif"])
@pytest.mark.parametrize(("percent", "fails"), [(11, True), (9, False)])
def test_check_against_fails_past_the_allowed_growth(grown, capsys, form, percent, fails) -> None:
    text = grown_by(percent + 0.9)  # just under percent + 0.9: more than percent, less than +1
    assert percent * t(PROMPT) < (t(text) - t(PROMPT)) * 100 < (percent + 1) * t(PROMPT)
    grown.commit("grow", {"prompts/review.prompt.md": text})
    code = main(["check", "--format", form, "--against", "HEAD~1", "--max-increase", "10%", "."])
    out, err = capsys.readouterr()
    assert code == (1 if fails else 0)
    before, after = t(PROMPT), t(text)
    if form == "json":
        findings = [f for f in json.loads(out)["findings"] if f["code"] == "increase"]
        assert [f["path"] for f in findings] == (["prompts/review.prompt.md"] if fails else [])
        if fails:
            assert f"{before:,} → {after:,}" in findings[0]["message"]
            assert findings[0]["severity"] == "error"
    elif form == "sarif":
        log = json.loads(out)
        jsonschema.Draft4Validator(SCHEMA).validate(log)
        [run] = log["runs"]
        results = [r for r in run["results"] if r["ruleId"] == "increase"]
        assert len(results) == (1 if fails else 0)
        assert "increase" in {rule["id"] for rule in run["tool"]["driver"]["rules"]}
        if fails:
            assert results[0]["level"] == "error"
            uri = results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            assert uri == "prompts/review.prompt.md"
    elif form == "github":
        annotations = [line for line in out.splitlines() if "title=tokenls increase" in line]
        assert len(annotations) == (1 if fails else 0)
        if fails:
            assert annotations[0].startswith("::error file=prompts/review.prompt.md,line=1")
    else:
        lines = [line for line in out.splitlines() if "grew by" in line]
        assert len(lines) == (1 if fails else 0)
        if fails:
            share = (after - before) / before * 100
            assert lines[0].startswith("prompts/review.prompt.md:1:1: error: grew by")
            assert f"(+{share:.1f}%) since HEAD~1: {before:,} → {after:,}" in lines[0]
            assert f"own text {after - before:+,}" in lines[0]
        said = "1 grew more than --max-increase allows"
        assert (said in out + err) == fails
        assert not (fails and "within budget" in out + err)


def test_check_against_takes_a_number_of_tokens_and_follows_renames(grown, capsys) -> None:
    grown.git("mv", "prompts/review.prompt.md", "prompts/code-review.prompt.md")
    text = PROMPT + "Also check the names.\n" * 30
    grown.commit("rename and grow", {"prompts/code-review.prompt.md": text})
    grew = t(text) - t(PROMPT)
    args = ["check", "--format", "json", "--against", "HEAD~1", "."]
    assert main([*args, "--max-increase", str(grew)]) == 0
    assert main([*args, "--max-increase", str(grew - 1)]) == 1
    [finding] = [f for f in json.loads(capsys.readouterr().out.splitlines()[-1])["findings"]]
    assert finding["path"] == "prompts/code-review.prompt.md"
    assert f"grew by {grew:,} tokens" in finding["message"]


def test_check_against_needs_a_limit_and_a_real_revision(grown, capsys) -> None:
    assert main(["check", "--against", "HEAD", "."]) == 2
    assert main(["check", "--against", "nope", "--max-increase", "5%", "."]) == 2
    assert main(["check", "--against", "HEAD", "--max-increase", "five", "."]) == 2
    err = capsys.readouterr().err
    assert "go together" in err and "unknown revision: nope" in err and "five" in err


def test_a_renamed_reference_is_the_same_reference(tmp_path, monkeypatch, capsys) -> None:
    repo = Repo(tmp_path / "moved")
    style_a = "# Style\n\n" + "Use type hints everywhere.\n" * 6
    style_b = style_a + "Name modules for what they hold.\n"
    first = repo.commit("start", {"CLAUDE.md": CLAUDE_2, "docs/style.md": style_a})
    repo.git("mv", "docs/style.md", "docs/house-style.md")
    claude = CLAUDE_2.replace("docs/style.md", "docs/house-style.md")
    repo.commit("move the style", {"CLAUDE.md": claude, "docs/house-style.md": style_b})
    monkeypatch.chdir(repo.root)
    prompt = by_path(diff(capsys, first, "HEAD"))["CLAUDE.md"]
    assert prompt["delta"] == t(claude) + t(style_b) - t(CLAUDE_2) - t(style_a)
    moved = [c for c in prompt["changes"] if c["kind"] == "file"]
    assert moved == [
        {
            "target": "docs/style.md → docs/house-style.md",
            "kind": "file",
            "change": "grown",
            "before": t(style_a),
            "after": t(style_b),
            "delta": t(style_b) - t(style_a),
        }
    ]


def test_outside_a_repository_is_a_usage_error(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert main(["diff"]) == 2
    assert main(["log", "x.md"]) == 2
    assert "not inside a git work tree" in capsys.readouterr().err
