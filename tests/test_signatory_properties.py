"""Properties of the signatory checks, for any input Hypothesis can think of."""

from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from declaration_pipeline.checks.signatories import (
    find_duplicate_signatories,
    find_near_duplicate_signatories,
)
from declaration_pipeline.names import identity_key
from declaration_pipeline.signatories import Signatory

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from synthetic import synthetic_signatories  # noqa: E402

BASE_NAMES = [
    "Soroptimist International",
    "The Salvation Army",
    "Centre for Human Rights",
    "Réseau National",
    "AIM Education & Research Society",
    "Richard Anthony",
]
VARIANTS = st.sampled_from(BASE_NAMES).flatmap(
    lambda name: st.sampled_from(
        [
            name,
            name.upper(),
            "The " + name,
            name.replace("Centre", "Center"),
            name.replace("&", "and"),
            name + ".",
            " ".join(name.split()) + "  ",
        ]
    )
)


def _signatories(names: list[str]) -> list[Signatory]:
    return [Signatory(name, "organization", line, 5) for line, name in enumerate(names, 1)]


@settings(max_examples=200, deadline=None)
@given(st.lists(VARIANTS | st.text(min_size=1, max_size=20).filter(str.strip), max_size=25), st.randoms())
def test_duplicates_do_not_depend_on_the_order_of_entries(names: list[str], random) -> None:  # type: ignore[no-untyped-def]
    shuffled = names[:]
    random.shuffle(shuffled)
    errors, distinct = find_duplicate_signatories(_signatories(names))
    errors_shuffled, distinct_shuffled = find_duplicate_signatories(_signatories(shuffled))
    assert len(errors) == len(errors_shuffled)
    assert {identity_key(s.name) for s in distinct} == {identity_key(s.name) for s in distinct_shuffled}
    assert len(distinct) == len({identity_key(name) for name in names})


def test_near_duplicate_search_does_linear_work() -> None:
    """The regression guard for speed: lookups grow with n, not n squared."""
    work = {}
    for count in (2_000, 8_000):
        organizations, individuals = synthetic_signatories(count)
        names = _signatories(organizations + individuals)
        _errors, stats = find_near_duplicate_signatories(names)
        work[count] = stats.lookups
    assert work[8_000] < 4 * work[2_000] * 1.3  # all pairs would be 16 times


def test_a_typo_is_a_near_duplicate_and_a_longer_name_is_not() -> None:
    names = _signatories(
        [
            "Soroptimist International",
            "Soroptimist Internatonal",
            "Centre for Human Rights",
            "Centre for Human Rights and Climate Change Research",
            "Terra-1530",
            "Terra-1531",
        ]
    )
    warnings, _ = find_near_duplicate_signatories(names)
    assert [w.line for w in warnings] == [2]
