"""Every numeric setting is finite and within a stated range: ``inf``, ``nan``, negative and
absurd values are one problem naming the key and the range, and the default stays."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

import pytest

from tokenls.cli.main import main
from tokenls.config import Settings, editor_layer, file_layer, read_config
from tokenls.config.values import LIMIT_RANGES, RANGES, Range


def _numeric_keys(schema: type = Settings, prefix: str = "") -> dict[str, Any]:
    """Every key of the schema whose value is a number, by its dotted name, with its type."""
    found: dict[str, Any] = {}
    for name, kind in get_type_hints(schema).items():
        if dataclasses.is_dataclass(kind):
            found.update(_numeric_keys(kind, f"{prefix}{name}."))  # type: ignore[arg-type]
            continue
        if get_origin(kind) is Union:  # ``X | None``
            kind = next(k for k in get_args(kind) if k is not type(None))
        base = getattr(kind, "__supertype__", kind)
        if base in (int, float):
            found[f"{prefix}{name}"] = kind
    return found


NUMERIC = _numeric_keys()


def _nested(key: str, value: Any) -> dict[str, Any]:
    table: dict[str, Any] = {}
    inner = table
    *parents, last = key.split(".")
    for part in parents:
        inner = inner.setdefault(part, {})
    inner[last] = value
    return table


def _value_at(values: Any, key: str) -> Any:
    for part in key.split("."):
        if not isinstance(values, dict) or part not in values:
            return None
        values = values[part]
    return values


def _bad_values(bounds: Range) -> list[Any]:
    return [math.inf, -math.inf, math.nan, -1, bounds.high * 10, 10**30]


def test_every_numeric_key_has_a_range() -> None:
    assert len(NUMERIC) >= 12  # budget, debounce_ms, thresholds, http and rate timings...
    assert {key: kind for key, kind in NUMERIC.items() if kind not in RANGES} == {}


@pytest.mark.parametrize("key", sorted(NUMERIC))
def test_out_of_range_values_are_one_problem_naming_key_and_range(key: str) -> None:
    bounds = RANGES[NUMERIC[key]]
    for value in _bad_values(bounds):
        layer, _ = editor_layer(_nested(key, value))
        [problem] = layer.problems
        assert problem.key == key and bounds.describe() in problem.reason
        assert _value_at(layer.values, key) is None  # not taken: the default stays


@pytest.mark.parametrize("key", sorted(NUMERIC))
def test_the_largest_allowed_value_is_taken(key: str) -> None:
    bounds = RANGES[NUMERIC[key]]
    high = int(bounds.high) if bounds.whole else bounds.high
    layer, _ = editor_layer(_nested(key, high))
    assert layer.problems == ()
    value = _value_at(layer.values, key)
    assert value == high and math.isfinite(value)


@pytest.mark.parametrize("key", sorted(LIMIT_RANGES))
@pytest.mark.parametrize("value", [math.inf, math.nan, 0, -5, 10**30])
def test_rate_limits_name_the_host_the_key_and_the_range(key: str, value: Any) -> None:
    layer, _ = editor_layer({"rate": {"limits": {"api.example.com": {key: value}}}})
    [problem] = layer.problems
    assert problem.key == "rate.limits"
    assert f'{key} for "api.example.com" to be {LIMIT_RANGES[key].describe()}' in problem.reason
    assert "limits" not in layer.values.get("rate", {})  # the default: no limits of its own


def test_context_windows_are_held_to_the_token_range() -> None:
    layer, _ = editor_layer({"contextWindows": {"my-model": math.inf, "other": 8000}})
    [problem] = layer.problems
    assert problem.key == "contextWindows" and "up to 1,000,000,000" in problem.reason


@pytest.mark.parametrize(
    ("toml", "key", "allowed"),
    [
        ("[http]\ntimeout_s = inf\n", "http.timeout_s", "a positive number of seconds up to 600"),
        ("[http]\nttl_s = nan\n", "http.ttl_s", "a positive number of seconds up to"),
        ("[rate]\nwindow_s = 0\n", "rate.window_s", "a number of seconds from 1 to 3,600"),
        ("[rate]\nmin_interval_ms = -inf\n", "rate.min_interval_ms", "from 0 to 60,000"),
        (
            '[rate.limits."api.example.com"]\nrequests_per_minute = inf\n',
            "rate.limits",
            'requests_per_minute for "api.example.com" to be a positive number up to 1,000,000',
        ),
        ("budget = 99999999999999\n", "budget", "a positive whole number of tokens up to"),
        ("[files]\nmax_bytes = -1\n", "files.max_bytes", "a positive whole number of bytes"),
    ],
)
def test_a_repository_config_out_of_range_exits_2_naming_key_and_range(
    tmp_path: Path, capsys, toml: str, key: str, allowed: str
) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "tokenls.toml").write_text(toml)
    (tmp_path / "p.md").write_text("hello\n")
    assert main(["count", str(tmp_path / "p.md")]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"tokenls: {tmp_path / 'tokenls.toml'}: {key}: "), line
    assert allowed in line


def test_the_default_stays_when_a_value_is_refused(tmp_path: Path) -> None:
    (tmp_path / "tokenls.toml").write_text("[http]\ntimeout_s = inf\nmax_bytes = 1000\n")
    layer = file_layer(read_config(tmp_path / "tokenls.toml"))
    assert dict(layer.values) == {"http": {"max_bytes": 1000}}  # timeout_s keeps its default
    assert Settings().http.timeout_s == 10.0


def test_a_frontmatter_budget_is_held_to_the_same_range() -> None:
    from tokenls.workspace.choice import choose

    for value in (math.inf, 10**30, -3, 0.5):
        choice = choose({"tokenls": {"budget": value}}, Settings())
        assert choice.budget is None
        assert any("up to 1,000,000,000" in p for p in choice.problems)
    choice = choose({"tokenls": {"budget": 8000}}, Settings())
    assert choice.budget is not None and choice.budget.tokens == 8000 and not choice.problems
