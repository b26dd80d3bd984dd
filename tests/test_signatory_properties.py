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


def _people(*entries: tuple[str, str | None]) -> list[Signatory]:
    return [
        Signatory(name, "individual", line, 5, affiliation=affiliation)
        for line, (name, affiliation) in enumerate(entries, 1)
    ]


def test_an_extra_initial_or_given_name_tells_people_apart() -> None:
    """The near-duplicates real lists gave, all different people (tests/realworld/rms-open-letter)."""
    people = _people(
        ("Alex", None), ("Alex V", None), ("David D. Smith", None), ("David Smith", "@shmish111"),
        ("Bailey", "the2048"), ("Sam Bailey", None),
    )  # fmt: skip
    assert find_near_duplicate_signatories(people)[0] == []


def test_a_missing_connecting_word_is_still_a_near_duplicate() -> None:
    names = _signatories(["Centre of Human Rights", "Centre Human Rights", "Banco de Lisboa", "Banco Lisboa"])
    warnings, _ = find_near_duplicate_signatories(names)
    assert [w.line for w in warnings] == [2, 4]


def test_one_name_twice_with_overlapping_affiliations_is_a_near_duplicate() -> None:
    people = _people(
        ("William Waites", "Former FSF member"),
        ("William Waites", "London School of Hygiene and Tropical Medicine, Former FSF Member"),
        ("David Jones", "former FSF associate member"),
        ("David Jones", "kerning consultant"),
    )
    duplicates, distinct = find_duplicate_signatories(people)
    warnings, _ = find_near_duplicate_signatories(distinct)
    assert duplicates == []
    assert [str(w) for w in warnings] == [
        'signatories.yaml:2:5: warning: "William Waites" (London School of Hygiene and Tropical Medicine, Former FSF '
        'Member) looks like "William Waites" (Former FSF member) (line 1); remove one if they are the same, or tell '
        "them apart with affiliation: or country: [signatory-near-duplicate]"
    ]


def test_a_duplicate_says_how_to_tell_two_people_apart() -> None:
    duplicates, _ = find_duplicate_signatories(_people(("Maria Silva", None), ("Maria Silva", None)))
    assert [d.message for d in duplicates] == [
        'duplicate signatory "Maria Silva" (first listed at line 1); remove one, or if they are two people, '
        "give each a different affiliation: or country:"
    ]


def _identity_key_as_defined(name: str, individual: bool) -> str:
    """names.identity_key as its docstring says, step by step and slowly: the fast one must agree."""
    import re

    from declaration_pipeline.names import _SPELLINGS, _unfiled_words, fold

    words = re.sub(r"[\W_]+", " ", fold(name).replace("&", " and ")).split()
    words = [_SPELLINGS.get(word, word) for word in words[_unfiled_words(words, individual) :]]
    return " ".join(words) or fold(name).strip()


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        VARIANTS, st.text(), st.lists(st.sampled_from(["the", "The", "Dr", "centre", "&", "_", "É"])).map(" ".join)
    ),
    st.booleans(),
)
def test_the_identity_key_is_the_folded_words_without_titles_and_with_one_spelling(name: str, individual: bool) -> None:
    assert identity_key.__wrapped__(name, individual) == _identity_key_as_defined(name, individual)
