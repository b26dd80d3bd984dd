"""Convert the letter's index.md into signatories.yaml: `python convert.py` (writes beside this file).

Each list item becomes one signatory, in the letter's order: the first
signers' "- " list and "### Individuals" are individuals, "### Organizations"
organizations. A parenthesised group at the end of an individual's line is
what the letter calls the "institutional affiliation ... for identification
purposes" and becomes `affiliation:`; parentheses inside the name ("David
(gnuconsulting) Bishop") stay in the name. Markdown backslash escapes
("diaspora\\*") are undone, as the web page shows them; everything else is
kept as written, backticks and handles included.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ITEM = re.compile(r"^(?:- |1\. )(.*)$")


def split_affiliation(text: str) -> tuple[str, str | None]:
    """'Name (Affiliation)' -> ('Name', 'Affiliation'); nested parentheses are balanced."""
    if not text.endswith(")"):
        return text, None
    depth = 0
    for position in range(len(text) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(text[position], 0)
        if depth == 0:
            name = text[:position].rstrip().rstrip(",").rstrip()
            return (name, text[position + 1 : -1].strip()) if name else (text, None)
    return text, None


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def convert(markdown: str) -> dict[str, list]:
    lists: dict[str, list] = {"organizations": [], "individuals": []}
    section = "individuals"  # the first signers, before any heading
    for line in markdown.splitlines():
        if line.startswith("### "):
            section = line[4:].strip().lower()
            continue
        match = ITEM.match(line)
        if not match:
            continue
        text = unescape(match.group(1).strip())
        if section == "organizations":
            lists[section].append(text)
            continue
        name, affiliation = split_affiliation(text)
        lists[section].append({"name": name, "affiliation": affiliation} if affiliation else name)
    return lists


def main() -> None:
    lists = convert((HERE / "index.md").read_text(encoding="utf-8"))
    text = yaml.safe_dump(lists, allow_unicode=True, sort_keys=False, width=1000, default_flow_style=False)
    header = "# Converted from index.md by convert.py; do not edit by hand (see PROVENANCE.md).\n"
    (HERE / "signatories.yaml").write_text(header + text, encoding="utf-8")


if __name__ == "__main__":
    main()
