"""One plan for a prompt's logs: the largest shrink first, every log keeps room for its
failures, and the prompt ends within its budget or the plan says what else is over."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.logs import FIXTURES
from tokenls.compress.plan import MIN_TARGET, LogCost, failure_floor, fit, share
from tokenls.engine.counting import Counter


def test_a_prompt_within_its_budget_leaves_every_log_alone() -> None:
    shares = share([LogCost(500), LogCost(300)], total=1000, budget=1000)
    assert shares.targets == (None, None) and shares.over == 0 and shares.rest == 200


def test_the_largest_log_shrinks_first_down_to_the_next_one() -> None:
    # 200 tokens of own text; room for 1,200 tokens of logs
    shares = share([LogCost(5000), LogCost(1000), LogCost(200)], total=6400, budget=1400)
    assert shares.targets == (500, 500, None) and shares.over == 0
    shares = share([LogCost(5000), LogCost(1000), LogCost(200)], total=6400, budget=2800)
    assert shares.targets == (2600 - 1000 - 200, None, None)


def test_no_log_is_cut_below_the_room_its_failures_need_while_that_fits() -> None:
    shares = share([LogCost(5000, floor=100), LogCost(3000, floor=900)], total=8100, budget=1400)
    assert shares.targets == (400, 900) and shares.over == 0


def test_when_the_failures_do_not_fit_either_every_log_goes_to_its_least() -> None:
    shares = share([LogCost(5000, floor=900), LogCost(3000, floor=900)], total=8100, budget=800)
    assert shares.over == 0 and sum(t or 0 for t in shares.targets) == 700
    assert all(t is not None and t >= MIN_TARGET for t in shares.targets)


def test_a_prompt_whose_own_text_is_over_says_by_how_much() -> None:
    shares = share([LogCost(5000), LogCost(3000)], total=11000, budget=2500)
    assert shares.rest == 3000 and shares.targets == (MIN_TARGET, MIN_TARGET)
    assert shares.over == 3000 + 2 * MIN_TARGET - 2500


@given(
    st.lists(st.integers(1, 50_000), min_size=1, max_size=6),
    st.integers(0, 5000),
    st.integers(1, 60_000),
)
def test_the_shares_fit_whenever_the_least_of_every_log_does(
    sizes: list[int], rest: int, budget: int
) -> None:
    logs = [LogCost(n, floor=n // 3) for n in sizes]
    shares = share(logs, rest + sum(sizes), budget)
    after = rest + sum(n if t is None else t for n, t in zip(sizes, shares.targets, strict=True))
    if shares.over == 0:
        assert after <= budget
    else:
        assert (
            after - budget == shares.over and rest + sum(min(MIN_TARGET, n) for n in sizes) > budget
        )
    assert all(t is None or t < n for n, t in zip(sizes, shares.targets, strict=True))


def test_fitting_plans_again_when_the_compressed_logs_come_out_larger() -> None:
    asked: list[tuple[int, int]] = []

    def shrink(i: int, target: int) -> int:  # each log ends 30 tokens over what it was given
        asked.append((i, target))
        return target + 30

    fitted = fit([LogCost(4000), LogCost(2000)], total=6100, budget=1100, shrink=shrink)
    assert fitted.over == 0 and fitted.total <= 1100
    assert {target for _, target in asked} == {500, 470}  # the second round asked for less


def test_the_floor_is_the_room_for_each_failures_headline() -> None:
    counter = Counter("o200k_base")
    floor = failure_floor((FIXTURES / "pytest-fail.log").read_text(), counter)
    assert MIN_TARGET < floor < 400
