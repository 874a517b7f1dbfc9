"""Clause files: where they are, what is in them, and the search clauses they make.

The shipped clause files are package data (`bot/policy/data/`), found wherever Flagpost is installed; an
organisation adds its own folder with FLAGPOST_POLICIES or `[policy] clause_directory`. The running bot
loads the files into its database (`bot/policy/library.py`) and builds its index from there;
`flagpost policy ask` builds the same index straight from the files, without a database (a test checks
that both give the same clauses).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from bot.config import Organization, Settings
from bot.errors import ConfigError, InvalidInput
from bot.policy import SHIPPED_CLAUSES
from bot.policy.search import SearchClause

CLAUSE_FILE_SUFFIX = ".json"
PARAGRAPH = re.compile(r" ¶\d+$")  # `Procedure A › Replies ¶4`: the paragraph's number leads nothing


class ClauseLike(Protocol):
    number: str
    title: str
    heading_path: list[str]
    text: str


class FileClause(NamedTuple):
    number: str
    title: str
    heading_path: list[str]
    text: str


def own_clause_directory(settings: Settings, org: Organization | None) -> Path | None:
    return settings.policies_dir or (org.clause_directory if org is not None else None)


def clause_directories(settings: Settings, org: Organization | None) -> list[Path]:
    """Where the clause files are: the shipped ones, then the organisation's own folder, from
    FLAGPOST_POLICIES or else `[policy] clause_directory`."""
    own = own_clause_directory(settings, org)
    if own is not None and not own.is_dir():
        source = "FLAGPOST_POLICIES" if settings.policies_dir else "[policy] clause_directory"
        raise ConfigError(f"{source}: {own} is not a folder (it should hold your own clause files)")
    return [SHIPPED_CLAUSES] if own is None else [SHIPPED_CLAUSES, own]


def clause_files(directories: Sequence[Path]) -> dict[str, Path]:
    """Document id → its clause file; a later folder's file replaces an earlier one's of the same name
    (the organisation's own folder comes after the shipped one)."""
    files: dict[str, Path] = {}
    for directory in directories:
        for path in sorted(directory.glob(f"*{CLAUSE_FILE_SUFFIX}")):
            files[path.stem] = path
    return files


def read_clause_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{path}: not a readable clause file ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("clauses"), list):
        raise InvalidInput(f"{path}: a clause file needs an object with a list of clauses")
    return data


def short_name(data: dict[str, Any], doc_id: str) -> str:
    """The name people see in citations ("Taber")."""
    return str(data.get("short_name") or data.get("organization") or doc_id)


def file_clauses(data: dict[str, Any]) -> list[FileClause]:
    return [
        FileClause(
            number=str(clause["number"]),
            title=clause.get("title", ""),
            heading_path=list(clause.get("heading_path", [])),
            text=str(clause["text"]),
        )
        for clause in data["clauses"]
    ]


def parent_text(clauses: Sequence[ClauseLike], position: int) -> str:
    """The text of the clause this one belongs to: 1.07(b) for 1.07(b)(ii), 7.1 for 7.1.2,
    `Content Standards ¶1` for `Content Standards › 4` (the nearest earlier clause whose number leads ours)."""
    number = clauses[position].number
    for earlier in reversed(clauses[:position]):
        lead = PARAGRAPH.sub("", earlier.number)
        if lead != number and number.startswith(lead) and number[len(lead)] in "(. ›":
            return str(earlier.text)
    return ""


LEAD_IN = re.compile(r":\s*$")  # "…includes:": the clause's list items follow it


def list_items(clauses: Sequence[ClauseLike], position: int) -> tuple[str, ...]:
    """The items of a lead-in clause: the clauses right after it one level below it (1.07(b)(i) for 1.07(b),
    4.3.1 for 4.3, the next paragraphs for `Social media use ¶2`)."""
    lead = clauses[position]
    if not LEAD_IN.search(lead.text):
        return ()
    prefix = PARAGRAPH.sub("", lead.number)
    items = []
    for later in clauses[position + 1 :]:
        rest = later.number[len(prefix) :] if later.number.startswith(prefix) else None
        if rest is None or not rest:
            break
        if CHILD.fullmatch(rest):
            items.append(f"{rest.strip(' .›¶')} {later.text}" if rest[0] in ".(" else later.text)
        elif rest[0] not in ".(":
            break
    return tuple(items)


CHILD = re.compile(r"\.\d+|\([a-z0-9]+\)| › [^›]*| ¶\d+")


def search_clauses(
    document_id: str, document: str, clauses: Sequence[ClauseLike], own: bool
) -> list[SearchClause]:
    """One document's clauses as the index sees them (from its file or from the database alike)."""
    return [
        SearchClause(
            document_id=document_id,
            document=document,
            number=clause.number,
            heading=" › ".join([*clause.heading_path, clause.title] if clause.title else clause.heading_path),
            text=clause.text,
            own=own,
            context=parent_text(clauses, position),
            items=list_items(clauses, position),
        )
        for position, clause in enumerate(clauses)
    ]


def clauses_from_files(directories: Sequence[Path], own_documents: Sequence[str] = ()) -> list[SearchClause]:
    """Every clause of every file, in document-id order, as the bot's index has them."""
    found: list[SearchClause] = []
    for doc_id, path in sorted(clause_files(directories).items()):
        data = read_clause_file(path)
        own = not own_documents or doc_id in own_documents
        found += search_clauses(doc_id, short_name(data, doc_id), file_clauses(data), own)
    return found
