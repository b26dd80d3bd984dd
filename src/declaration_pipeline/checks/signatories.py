"""Each signatory is listed once, and nobody who withdrew is listed again.

Exact duplicates (same `identity_key`) are errors, reported at the later entry
and naming the first. Near-duplicates (probably a typo) are warnings. Two
people who share a name are told apart by different `country` or `affiliation`.
`doit intake` applies the same two searches (`duplicate_pairs`,
`near_duplicate_pairs`) to the rows of a form export, and `withdrawal_pairs`
to refuse a name under `withdrawn:`.

A near-duplicate is a typo-sized difference: the two names differ in one word,
and those two words are close (one edit, confirmed by rapidfuzz's ratio), or
one name has one extra short connecting word, written in lower case ("of",
"de"), and the other keeps at least two words. "Centre for Human Rights" and
"Centre for Human Rights and Climate Change Research" stay apart, and so do
"Alex" and "Alex V", "David Smith" and "David D. Smith": on real lists an extra
initial or given name tells two people apart far more often than it repeats
one (see the README's figures). Two people of the same name whose
affiliations overlap ("Former FSF member" and "London School of Hygiene,
Former FSF Member") are probably one person who signed twice: a warning too.

The search is linear in the number of names, never all pairs: close *words*
are found once over the vocabulary (symmetric deletion: words that become
equal after deleting one letter from either), and then, for each name, each
variant with one word swapped for a close word is looked up in a dictionary.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from ..diagnostics import Diagnostic, error, warning
from ..names import fold, identity_key, words_as_written
from ..signatories import OPTIONAL_FIELDS, SECTIONS, Kind, Signatory, Withdrawal
from ..sources import SIGNATORIES

# rapidfuzz ratio (0-100) that two words one edit apart must reach to count as a
# typo: "Internatonal"/"International" 96, "Anthony"/"Antony" 92, "Spero"/"Sperro"
# 91. A changed letter in a short word scores lower and is more often a different
# word: "Dakar"/"Dhaka" 80, "Maria"/"Mario" 80.
TYPO_WORD_SCORE = 85
# Shorter words (and most CJK names, written as one short word) differ by one
# letter far too often for that to mean a typo: "Lab" and "Law", 王伟 and 王芳.
MIN_TYPO_WORD_LENGTH = 5
EXTRA_WORD_LETTERS = 3


def check_signatories(signatories: Sequence[Signatory], withdrawn: Sequence[Withdrawal] = ()) -> list[Diagnostic]:
    duplicates, distinct = find_duplicate_signatories(signatories)
    near, _ = find_near_duplicate_signatories(distinct)
    return duplicates + near + find_withdrawn_signatories(signatories, withdrawn)


def _distinguished(a: Signatory, b: Signatory) -> bool:
    """Same name, but told apart by a different country or affiliation."""
    return any(
        x is not None and y is not None and fold(x) != fold(y)
        for x, y in ((a.country, b.country), (a.affiliation, b.affiliation))
    )


def how_to_tell_apart(signatory: Signatory) -> str:
    """The fields that tell two signatories of one name apart, as an editor writes them."""
    return " or ".join(f"{field}:" for field in reversed(OPTIONAL_FIELDS[signatory.kind]))  # affiliation first


def signatory_key(signatory: Signatory) -> str:
    """Who an entry names, by the duplicate rule: two entries with one key are one signatory."""
    return identity_key(signatory.name, individual=signatory.kind == "individual")


def withdrawal_keys(withdrawal: Withdrawal) -> set[tuple[Kind, str]]:
    """(kind, key) of every entry a withdrawal takes off: without a type:, an organization or an individual."""
    kinds = (withdrawal.kind,) if withdrawal.kind else tuple(SECTIONS.values())
    return {(kind, identity_key(withdrawal.name, individual=kind == "individual")) for kind in kinds}


def duplicate_pairs(signatories: Sequence[Signatory]) -> list[tuple[Signatory, Signatory]]:
    """(repeat, original) for every entry that names the same signatory as an earlier one."""
    first_by_key: dict[str, list[Signatory]] = defaultdict(list)
    pairs = []
    for signatory in signatories:
        earlier = first_by_key[signatory_key(signatory)]
        original = next((o for o in earlier if not _distinguished(o, signatory)), None) if earlier else None
        if original is None:
            earlier.append(signatory)
        else:
            pairs.append((signatory, original))
    return pairs


def find_duplicate_signatories(
    signatories: Sequence[Signatory],
) -> tuple[list[Diagnostic], list[Signatory]]:
    """Errors for repeats, and the signatories with the repeats left out."""
    diagnostics = []
    repeats = set()
    for signatory, original in duplicate_pairs(signatories):
        repeats.add(id(signatory))
        same_as = "" if original.name == signatory.name else f'same as "{original.name}", '
        two = "people" if signatory.kind == "individual" else "organizations"
        diagnostics.append(
            error(
                SIGNATORIES,
                signatory.line,
                signatory.col,
                "signatory-duplicate",
                f'duplicate signatory "{signatory.name}" ({same_as}first listed at line {original.line}); '
                f"remove one, or if they are two {two}, give each a different {how_to_tell_apart(signatory)}",
            )
        )
    return diagnostics, [s for s in signatories if id(s) not in repeats]


def withdrawal_pairs(
    signatories: Sequence[Signatory], withdrawn: Sequence[Withdrawal]
) -> list[tuple[Signatory, Withdrawal]]:
    """(entry, withdrawal) for every listed signatory who withdrew: the same name by the duplicate rule.

    A withdrawal without a type: matches an organization or an individual of that name.
    """
    by_key: dict[tuple[Kind, str], Withdrawal] = {}
    for withdrawal in withdrawn:
        for key in sorted(withdrawal_keys(withdrawal)):
            by_key.setdefault(key, withdrawal)
    found = ((s, by_key.get((s.kind, signatory_key(s)))) for s in signatories)
    return [(s, w) for s, w in found if w is not None]


def find_withdrawn_signatories(signatories: Sequence[Signatory], withdrawn: Sequence[Withdrawal]) -> list[Diagnostic]:
    return [
        error(
            SIGNATORIES,
            signatory.line,
            signatory.col,
            "signatory-withdrawn",
            f'"{signatory.name}" withdrew on {withdrawal.date} (withdrawn: line {withdrawal.line}); '
            f"remove this entry, a withdrawn signatory is never printed",
        )
        for signatory, withdrawal in withdrawal_pairs(signatories, withdrawn)
    ]


@dataclass
class NearDuplicateStats:
    """Work done by the search: one lookup per candidate variant of a name."""

    lookups: int = 0


def find_near_duplicate_signatories(
    signatories: Sequence[Signatory],
) -> tuple[list[Diagnostic], NearDuplicateStats]:
    pairs, stats = near_duplicate_pairs(signatories)
    diagnostics = [
        warning(
            SIGNATORIES,
            later.line,
            later.col,
            "signatory-near-duplicate",
            f'"{later.name}"{_described(later)} looks like "{earlier.name}"{_described(earlier)} '
            f"(line {earlier.line}); remove one if they are the same, or tell them apart with "
            f"{how_to_tell_apart(later)}",
        )
        for earlier, later in pairs
    ]
    return diagnostics, stats


def near_duplicate_pairs(
    signatories: Sequence[Signatory],
) -> tuple[list[tuple[Signatory, Signatory]], NearDuplicateStats]:
    """(earlier, later) for every two names that are probably the same signatory."""
    words = [signatory_key(s).split() for s in signatories]
    by_key: dict[str, list[int]] = defaultdict(list)
    for index, name_words in enumerate(words):
        by_key[" ".join(name_words)].append(index)
    close_words = _close_words({word for name_words in words for word in name_words})

    stats = NearDuplicateStats()
    pairs: set[tuple[int, int]] = set()
    for index, name_words in enumerate(words):
        may_drop_a_word = len(name_words) > 2  # the other name keeps at least two words
        if not may_drop_a_word and close_words.keys().isdisjoint(name_words):
            continue  # most names: no word with a close one, and none to drop
        connecting: set[str] | None = None  # worked out only for a name found again without one of its words
        for position, word in enumerate(name_words):
            others = close_words.get(word, ())
            droppable = may_drop_a_word and len(word) <= EXTRA_WORD_LETTERS
            if not (others or droppable):
                continue  # most words of most names: nothing to look up
            before, after = name_words[:position], name_words[position + 1 :]
            matches: list[int] = []
            for other in others:
                stats.lookups += 1
                matches += by_key.get(" ".join(before + [other] + after), ())
            if droppable:
                stats.lookups += 1
                without = by_key.get(" ".join(before + after), ())
                if without:  # only then: was the word written in lower case ("of", "de")?
                    if connecting is None:
                        connecting = _lower_case_words(signatories[index].name)
                    if word in connecting:
                        matches += without
            if matches:
                pairs.update((min(index, other_index), max(index, other_index)) for other_index in matches)
    for same_name in by_key.values():  # distinct only by affiliation or country
        pairs.update(
            (first, second)
            for position, first in enumerate(same_name)
            for second in same_name[position + 1 :]
            if _overlapping(signatories[first], signatories[second])
        )

    found = [(signatories[first], signatories[second]) for first, second in sorted(pairs)]
    return [(a, b) for a, b in found if not (_distinguished(a, b) and not _overlapping(a, b))], stats


def _lower_case_words(name: str) -> set[str]:
    """The words written in lower case in `name` ("of", "de"), folded like identity_key's words."""
    return {fold(word) for word in words_as_written(name) if word.islower()}


def _overlapping(a: Signatory, b: Signatory) -> bool:
    """Same name, and one's affiliation or country within the other's: probably one person, twice."""
    return any(
        x is not None and y is not None and (fold(x) in fold(y) or fold(y) in fold(x))
        for x, y in ((a.affiliation, b.affiliation), (a.country, b.country))
    ) and signatory_key(a) == signatory_key(b)


def _described(signatory: Signatory) -> str:
    return f" ({signatory.details})" if signatory.details else ""


def _close_words(vocabulary: set[str]) -> dict[str, set[str]]:
    """For each word, the other words of the vocabulary one typo away."""
    by_deletion: dict[str, list[str]] = defaultdict(list)
    for word in vocabulary:
        if len(word) < MIN_TYPO_WORD_LENGTH:
            continue
        for variant in {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}:
            by_deletion[variant].append(word)
    close: dict[str, set[str]] = defaultdict(set)
    for group in by_deletion.values():
        for position, first in enumerate(group):
            for second in group[position + 1 :]:
                if first.isdigit() and second.isdigit():
                    continue  # "Terra-1530" and "Terra-1531" are numbered, not mistyped
                if fuzz.ratio(first, second, score_cutoff=TYPO_WORD_SCORE):
                    close[first].add(second)
                    close[second].add(first)
    return close
