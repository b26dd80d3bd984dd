"""Each signatory is listed once.

Exact duplicates (same `identity_key`) are errors, reported at the later entry
and naming the first. Near-duplicates (probably a typo) are warnings. Two
people who share a name are told apart by different `country` or `affiliation`.

The near-duplicate search must stay fast at 100,000 names, so it never
compares all pairs: names are blocked by their two rarest words (and short
names by their first letters), and only names sharing a block are scored,
with rapidfuzz.
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

# Scores from fuzz.ratio on identity keys (0-100). 92 flags one or two typos in a
# name of twenty letters, and leaves "Centre for Human Rights" apart from
# "Centre for Human Rights and Climate Change Research".
NEAR_DUPLICATE_SCORE = 92
BLOCKING_WORDS = 2
PREFIX_BLOCK_LETTERS = 4
# Past this size a block is made of very common words only and tells nothing.
MAX_BLOCK = 2000


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
    comparisons: int = 0


def find_near_duplicate_signatories(
    signatories: Sequence[Signatory],
) -> tuple[list[Diagnostic], NearDuplicateStats]:
    keys = [_key(s) for s in signatories]
    stats = NearDuplicateStats()
    seen_pairs: set[tuple[int, int]] = set()
    diagnostics = []
    for members in _blocks(keys):
        for position, i in enumerate(members):
            for j in members[position + 1 :]:
                pair = (i, j) if i < j else (j, i)
                if pair in seen_pairs or keys[i] == keys[j]:
                    continue
                seen_pairs.add(pair)
                stats.comparisons += 1
                if fuzz.ratio(keys[i], keys[j], score_cutoff=NEAR_DUPLICATE_SCORE):
                    earlier, later = signatories[pair[0]], signatories[pair[1]]
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


def _blocks(keys: list[str]) -> list[list[int]]:
    frequency: dict[str, int] = defaultdict(int)
    words_of = [key.split() for key in keys]
    for words in words_of:
        for word in set(words):
            frequency[word] += 1
    blocks: dict[str, list[int]] = defaultdict(list)
    for index, words in enumerate(words_of):
        rarest = sorted(set(words), key=lambda word: (frequency[word], word))[:BLOCKING_WORDS]
        for word in rarest:
            blocks["w:" + word].append(index)
        if len(words) <= 2:
            blocks["p:" + keys[index][:PREFIX_BLOCK_LETTERS]].append(index)
    return [members for members in blocks.values() if 1 < len(members) <= MAX_BLOCK]
