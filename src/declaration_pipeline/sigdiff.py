"""Who signed, who was removed, and who was renamed between two versions of signatories.yaml.

A rename is a removed and an added signatory whose names are near-duplicates
(the same rules as the check), or the same signatory written differently
("Centre" to "Center"). The comparison is pure; reading the old version from
git happens at the edge, in `signatories_at`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz

from .diagnostics import PipelineError
from .git_revision import file_at_revision, resolve_revision
from .names import identity_key
from .signatories import Signatory, parse_signatories
from .sources import SIGNATORIES

RENAME_SCORE = 85


@dataclass
class SignatoryDiff:
    added: list[Signatory] = field(default_factory=list)
    removed: list[Signatory] = field(default_factory=list)
    renamed: list[tuple[Signatory, Signatory]] = field(default_factory=list)


def _key(signatory: Signatory) -> str:
    return identity_key(signatory.name, individual=signatory.kind == "individual")


def diff_signatories(old: list[Signatory], new: list[Signatory]) -> SignatoryDiff:
    old_by_key = {_key(s): s for s in old}
    new_by_key = {_key(s): s for s in new}
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
            (fuzz.ratio(_key(gone), _key(came)), index, other)
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
    """signatories.yaml as it was at a git ref; falls back to HEAD when the ref is unknown."""
    for candidate in (ref, "HEAD"):
        try:
            data = file_at_revision(root, resolve_revision(root, candidate), SIGNATORIES)
        except PipelineError:
            continue
        if data is not None:
            signatories, _problems = parse_signatories(data.decode("utf-8", "replace"), SIGNATORIES)
            return signatories, candidate
    raise PipelineError(f"{SIGNATORIES}: no version at {ref} or HEAD to compare with (is this a git checkout?)")


def format_diff(diff: SignatoryDiff, ref: str, markdown: bool) -> str:
    counts = f"{len(diff.added)} added, {len(diff.removed)} removed, {len(diff.renamed)} renamed"
    if markdown:
        lines = [f"### Signatories since `{ref}`", "", counts]
        for title, items in (
            ("Added", [f"{s.name} ({s.kind})" for s in diff.added]),
            ("Removed", [f"{s.name} ({s.kind})" for s in diff.removed]),
            ("Renamed", [f"{a.name} → {b.name}" for a, b in diff.renamed]),
        ):
            if items:
                lines += ["", f"**{title}**", ""] + [f"- {markdown_text(item)}" for item in items]
        return "\n".join(lines) + "\n"
    lines = [f"Signatories since {ref}: {counts}"]
    lines += [f"  + {s.name} ({s.kind})" for s in diff.added]
    lines += [f"  - {s.name} ({s.kind})" for s in diff.removed]
    lines += [f"  ~ {a.name} -> {b.name}" for a, b in diff.renamed]
    return "\n".join(lines) + "\n"


def markdown_text(text: str) -> str:
    """Names are untrusted: escape what Markdown would read as markup."""
    return "".join("\\" + c if c in "\\`*_{}[]<>()#+-.!|~&" else c for c in text)
