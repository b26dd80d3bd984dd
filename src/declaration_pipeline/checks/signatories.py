"""Each signatory is listed once.

Exact duplicates (same `identity_key`) are errors, reported at the later entry
and naming the first. Near-duplicates (probably a typo) are warnings. Two
people who share a name are told apart by different `country` or `affiliation`.

A near-duplicate is a typo-sized difference: the two names differ in one word,
and those two words are close (one edit, confirmed by rapidfuzz's ratio), or
one name has one extra short word ("in", "of"). "Centre for Human Rights" and
"Centre for Human Rights and Climate Change Research" stay apart.

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
from ..names import fold, identity_key
from ..signatories import Signatory
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


def check_signatories(signatories: Sequence[Signatory]) -> list[Diagnostic]:
    duplicates, distinct = find_duplicate_signatories(signatories)
    near, _ = find_near_duplicate_signatories(distinct)
    return duplicates + near


def _distinguished(a: Signatory, b: Signatory) -> bool:
    """Same name, but told apart by a different country or affiliation."""
    return any(
        x is not None and y is not None and fold(x) != fold(y)
        for x, y in ((a.country, b.country), (a.affiliation, b.affiliation))
    )


def _key(signatory: Signatory) -> str:
    return identity_key(signatory.name, individual=signatory.kind == "individual")


def find_duplicate_signatories(
    signatories: Sequence[Signatory],
) -> tuple[list[Diagnostic], list[Signatory]]:
    """Errors for repeats, and the signatories with the repeats left out."""
    first_by_key: dict[str, list[Signatory]] = defaultdict(list)
    diagnostics = []
    distinct = []
    for signatory in signatories:
        earlier = first_by_key[_key(signatory)]
        original = next((o for o in earlier if not _distinguished(o, signatory)), None)
        if original is None:
            earlier.append(signatory)
            distinct.append(signatory)
            continue
        same_as = "" if original.name == signatory.name else f'same as "{original.name}", '
        diagnostics.append(
            error(
                SIGNATORIES,
                signatory.line,
                signatory.col,
                "signatory-duplicate",
                f'duplicate signatory "{signatory.name}" ({same_as}first listed at line {original.line})',
            )
        )
    return diagnostics, distinct


@dataclass
class NearDuplicateStats:
    """Work done by the search: one lookup per candidate variant of a name."""

    lookups: int = 0


def find_near_duplicate_signatories(
    signatories: Sequence[Signatory],
) -> tuple[list[Diagnostic], NearDuplicateStats]:
    words = [_key(s).split() for s in signatories]
    by_key: dict[str, list[int]] = defaultdict(list)
    for index, name_words in enumerate(words):
        by_key[" ".join(name_words)].append(index)
    close_words = _close_words({word for name_words in words for word in name_words})

    stats = NearDuplicateStats()
    pairs: set[tuple[int, int]] = set()
    for index, name_words in enumerate(words):
        for position, word in enumerate(name_words):
            before, after = name_words[:position], name_words[position + 1 :]
            variants = [" ".join(before + [other] + after) for other in close_words.get(word, ())]
            if len(name_words) > 1 and word.isalpha() and len(word) <= EXTRA_WORD_LETTERS:
                variants.append(" ".join(before + after))
            for variant in variants:
                stats.lookups += 1
                for other_index in by_key.get(variant, ()):
                    pairs.add((min(index, other_index), max(index, other_index)))

    diagnostics = []
    for first, second in sorted(pairs):
        earlier, later = signatories[first], signatories[second]
        if _distinguished(earlier, later):
            continue
        diagnostics.append(
            warning(
                SIGNATORIES,
                later.line,
                later.col,
                "signatory-near-duplicate",
                f'"{later.name}" looks like "{earlier.name}" (line {earlier.line}); '
                "remove one if they are the same, or tell them apart with country: "
                "or affiliation:",
            )
        )
    return diagnostics, stats


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
