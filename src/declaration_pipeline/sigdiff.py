"""Who signed, who was removed, who was renamed and who withdrew between two versions of signatories.yaml.

A rename is a removed and an added signatory whose names are near-duplicates
(the same rules as the check), or the same signatory written differently
("Centre" to "Center"). The comparison is pure; reading the old version from
git happens at the edge, in `signatories_at`. A signatory taken off the lists
and entered under `withdrawn:` is reported as withdrawn, not as removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz

from .checks.signatories import signatory_key, withdrawal_keys, withdrawal_pairs
from .diagnostics import PipelineError
from .git_revision import file_at_revision, resolve_revision
from .signatories import Signatory, SignatoryFile, Withdrawal, parse_signatory_file
from .sources import SIGNATORIES

RENAME_SCORE = 85


@dataclass
class SignatoryDiff:
    added: list[Signatory] = field(default_factory=list)
    removed: list[Signatory] = field(default_factory=list)
    renamed: list[tuple[Signatory, Signatory]] = field(default_factory=list)
    withdrawn: list[Withdrawal] = field(default_factory=list)


def diff_signatories(
    old: Sequence[Signatory],
    new: Sequence[Signatory],
    old_withdrawn: Sequence[Withdrawal] = (),
    new_withdrawn: Sequence[Withdrawal] = (),
) -> SignatoryDiff:
    # An old withdrawal written again differently ("The Gamma Trust", a type: added) is not a new one.
    known = set().union(*(withdrawal_keys(w) for w in old_withdrawn))
    withdrawals = [w for w in new_withdrawn if not withdrawal_keys(w) & known]
    withdrawn_now = {id(s) for s, _ in withdrawal_pairs(old, withdrawals)}
    diff = _diff_lists([s for s in old if id(s) not in withdrawn_now], new)
    diff.withdrawn = withdrawals
    return diff


def _diff_lists(old: Sequence[Signatory], new: Sequence[Signatory]) -> SignatoryDiff:
    old_by_key = {signatory_key(s): s for s in old}
    new_by_key = {signatory_key(s): s for s in new}
    diff = SignatoryDiff()
    for key, signatory in new_by_key.items():
        before = old_by_key.get(key)
        if before is not None and before.name != signatory.name:
            diff.renamed.append((before, signatory))
    removed = [s for k, s in old_by_key.items() if k not in new_by_key]
    added = [s for k, s in new_by_key.items() if k not in old_by_key]
    # Pair the closest removed and added names as renames, best first.
    candidates = sorted(
        (
            (fuzz.ratio(signatory_key(gone), signatory_key(came)), index, other)
            for index, gone in enumerate(removed)
            for other, came in enumerate(added)
        ),
        reverse=True,
    )
    paired_removed: set[int] = set()
    paired_added: set[int] = set()
    for score, index, other in candidates:
        if score < RENAME_SCORE:
            break
        if index in paired_removed or other in paired_added:
            continue
        paired_removed.add(index)
        paired_added.add(other)
        diff.renamed.append((removed[index], added[other]))
    diff.removed = [s for i, s in enumerate(removed) if i not in paired_removed]
    diff.added = [s for i, s in enumerate(added) if i not in paired_added]
    return diff


def signatories_at(root: Path, ref: str) -> tuple[list[Signatory], str]:
    """The signatories listed at a git ref; falls back to HEAD when the ref is unknown."""
    loaded, used_ref = signatory_file_at(root, ref)
    return list(loaded.signatories), used_ref


def signatory_file_at(root: Path, ref: str) -> tuple[SignatoryFile, str]:
    """signatories.yaml as it was at a git ref; falls back to HEAD when the ref is unknown."""
    for candidate in (ref, "HEAD"):
        try:
            data = file_at_revision(root, resolve_revision(root, candidate), SIGNATORIES)
        except PipelineError:
            continue
        if data is not None:
            loaded, _problems = parse_signatory_file(data.decode("utf-8", "replace"), SIGNATORIES)
            return loaded, candidate
    raise PipelineError(f"{SIGNATORIES}: no version at {ref} or HEAD to compare with (is this a git checkout?)")


def format_diff(diff: SignatoryDiff, ref: str, markdown: bool) -> str:
    counts = f"{len(diff.added)} added, {len(diff.removed)} removed, {len(diff.renamed)} renamed"
    counts += f", {len(diff.withdrawn)} withdrawn"
    if markdown:
        lines = [f"### Signatories since `{ref}`", "", counts]
        for title, items in (
            ("Added", [f"{s.name} ({s.kind})" for s in diff.added]),
            ("Removed", [f"{s.name} ({s.kind})" for s in diff.removed]),
            ("Renamed", [f"{a.name} → {b.name}" for a, b in diff.renamed]),
            ("Withdrawn", [_withdrawal_text(w) for w in diff.withdrawn]),
        ):
            if items:
                lines += ["", f"**{title}**", ""] + [f"- {markdown_text(item)}" for item in items]
        return "\n".join(lines) + "\n"
    lines = [f"Signatories since {ref}: {counts}"]
    lines += [f"  + {s.name} ({s.kind})" for s in diff.added]
    lines += [f"  - {s.name} ({s.kind})" for s in diff.removed]
    lines += [f"  ~ {a.name} -> {b.name}" for a, b in diff.renamed]
    lines += [f"  x {_withdrawal_text(w)}" for w in diff.withdrawn]
    return "\n".join(lines) + "\n"


def _withdrawal_text(withdrawal: Withdrawal) -> str:
    kind = f"{withdrawal.kind}, " if withdrawal.kind else ""
    return f"{withdrawal.name} ({kind}withdrew on {withdrawal.date})"


def markdown_text(text: str) -> str:
    """Names are untrusted: escape what Markdown would read as markup."""
    return "".join("\\" + c if c in "\\`*_{}[]<>()#+-.!|~&" else c for c in text)
