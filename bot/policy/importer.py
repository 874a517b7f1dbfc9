"""Turns a plain-text or Markdown policy into a clause file: every clause with its own number as the
document writes it, its heading path, and its text.

Numbering schemes recognised: `1.`, `1.1.1`, `1.04`, `a.`, `a)`, `(a)`, `i)`, `i.`, `(iv)`, bullets (`-`, `*`,
`•`, with a **bold lead** naming the clause), Markdown `#` headings, short title-like lines as headings,
and unnumbered paragraphs under a heading. What it cannot place is reported, never dropped silently.

A document may come with a corrections file (TOML) that records the small hand corrections it needs:
metadata, where the body starts and stops, which headings are top-level, and text fixes applied before
parsing, each with its reason.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROMAN = re.compile(r"^(?=[ivxl]+$)x{0,3}(ix|iv|v?i{0,3})$")
DECIMAL = re.compile(r"^(\d+(?:\.\d+)*)\.?(?=\s|$)")
LETTER_OR_ROMAN = re.compile(r"^\(?([a-zA-Z]{1,4})[.)](?=\s)")
MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
BULLET = re.compile(r"^\s*[-*•]\s+")
BOLD_LEAD = re.compile(r"^\*\*(.+?)\*\*\s*(.*)$")
EMPHASIS = re.compile(r"(\*\*|\*)(?=\S)(.+?)(?<=\S)\1")
LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
ESCAPED = re.compile(r"\\([()\[\]*_])")
TERMINAL = (".", ";", ":", ",", "?", "!", "”", '"')


@dataclass
class Clause:
    number: str
    heading_path: list[str]
    text: str
    title: str = ""


@dataclass
class ImportedDocument:
    id: str
    title: str
    organization: str
    short_name: str
    policy_number: str
    adopted: str
    revised: list[str]
    source: str
    clauses: list[Clause] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)
    corrections_applied: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("unplaced")
        data["source_sha256"] = self.source_sha256
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    source_sha256: str = ""


def clean_inline(text: str) -> str:
    """Markdown emphasis, links and escapes are formatting, not words: drop them, keep the words."""
    text = LINK.sub(r"\1", text)
    text = ESCAPED.sub(r"\1", text)
    text = EMPHASIS.sub(r"\2", text)
    return re.sub(r"[ \t]+", " ", text).strip()


def _is_roman(token: str) -> bool:
    return bool(token) and bool(ROMAN.match(token.lower()))


def _next_letter(letter: str) -> str:
    return chr(ord(letter) + 1) if letter and letter < "z" else ""


def _looks_like_heading(text: str) -> bool:
    """A short line that reads as a title: no sentence punctuation at its end, a capital first letter."""
    stripped = text.strip()
    if not stripped or len(stripped) > 90 or stripped.endswith(TERMINAL[:2] + TERMINAL[3:]):
        return False
    if stripped.endswith(":"):
        return len(stripped.split()) <= 3
    return stripped[0].isupper() or stripped[0].isdigit()


def _label(heading: str) -> str:
    """The part of a heading used in clause numbers: `Procedure A – Social Media Administration` → `Procedure A`."""
    return re.split(r"\s+[–—-]\s+", heading.strip().rstrip(":"), maxsplit=1)[0].strip()


class _Parser:
    def __init__(self, top_headings: list[str]):
        self.top_headings = {heading.strip().rstrip(":").lower() for heading in top_headings}
        self.clauses: list[Clause] = []
        self.unplaced: list[str] = []
        self.headings: list[str] = []  # the path of unnumbered headings
        self.section: str | None = None  # the current decimal number (e.g. 1.04, 4.1)
        self.section_title = ""
        self.letter: str | None = None  # the current letter item under the section
        self.last: Clause | None = None
        self.introducing: Clause | None = None
        self.title = ""
        self.paragraphs: dict[str, int] = {}

    # ----- helpers
    def path(self) -> list[str]:
        path = list(self.headings)
        if self.section:
            path.append(f"{self.section} {self.section_title}".strip())
        return path

    def emit(self, number: str, text: str, title: str = "", numbered: bool = True) -> Clause:
        clause = Clause(
            number=number, heading_path=self.path(), text=clean_inline(text), title=clean_inline(title)
        )
        self.clauses.append(clause)
        self.last = clause
        # A numbered clause ending with ':' owns the unnumbered paragraphs after it (Westlock 6.2.1).
        self.introducing = clause if numbered and clause.text.endswith(":") else None
        return clause

    def continue_last(self, text: str, bullet: bool = False) -> bool:
        if self.last is None:
            return False
        joiner = "\n• " if bullet else (" " if not self.last.text.endswith(":") else "\n")
        self.last.text = (self.last.text + joiner + clean_inline(text)).strip()
        return True

    def heading_prefix(self) -> str:
        return " › ".join(_label(heading) for heading in self.headings)

    def set_heading(self, text: str, level: int | None = None) -> None:
        title = clean_inline(text).rstrip(":").strip()
        if level is None:
            level = 1 if (not self.headings or title.lower() in self.top_headings) else 2
            if not self.top_headings and self.headings:
                level = 1  # without hints, unnumbered headings are siblings
        self.headings = [*self.headings[: level - 1], title]
        self.section, self.section_title, self.letter = None, "", None
        self.last = None

    # ----- one logical line
    def feed(self, raw: str, indent: int, bullet: bool) -> None:
        text = raw.strip()
        if not text:
            return
        if match := MARKDOWN_HEADING.match(text):
            level = len(match.group(1))
            if level == 1 and not self.clauses and not self.headings and not self.title:
                self.title = clean_inline(match.group(2))  # the document's own title, not a section
                return
            self.set_heading(match.group(2), level=max(1, level - 1) if self.title else level)
            return
        if match := DECIMAL.match(text):
            self.decimal(match.group(1), text[match.end() :].strip())
            return
        if (match := LETTER_OR_ROMAN.match(text)) and (self.section or self.headings):
            token = match.group(1)
            if self.lettered(token, text[match.end() :].strip(), indent):
                return
        if bullet and (match := BOLD_LEAD.match(text)):
            name = clean_inline(match.group(1)).rstrip(".").strip()
            prefix = self.heading_prefix()
            self.emit(f"{prefix} › {name}" if prefix else name, match.group(2) or name, title=name)
            return
        if bullet:
            if not self.continue_last(text, bullet=True):
                self.paragraph(text)
            return
        if text[0].islower() and self.last is not None:  # a sentence broken by a page break
            self.continue_last(text)
            return
        if _looks_like_heading(text):
            self.set_heading(text)
            return
        if self.introducing is not None and self.introducing is self.last:
            self.continue_last(text)  # the clause introduced what follows (a quoted statement)
            return
        self.paragraph(text)

    def list_item_number(self, number: str) -> str:
        """`Guideline 9` under a one-word plural heading; `Procedure A › Content Standards › 4` otherwise."""
        label = _label(self.headings[-1])
        if " " not in label and label.endswith("s"):
            parents = [_label(heading) for heading in self.headings[:-1]]
            return " › ".join([*parents, f"{label[:-1]} {number}"])
        return f"{self.heading_prefix()} › {number}"

    def paragraph(self, text: str) -> None:
        if self.section and self.last is None:
            self.emit(self.section, text, title=self.section_title)  # the body of a numbered heading
            return
        if not self.headings and not self.section:
            self.headings = ["Preamble"]  # text before the first heading
        key = self.section or self.heading_prefix()
        count = self.paragraphs.get(key, 0) + 1
        self.paragraphs[key] = count
        number = key if count == 1 else f"{key} ¶{count}"
        if count == 2:
            # The first paragraph was numbered as the heading alone; now that there are several, say ¶1.
            for clause in self.clauses:
                if clause.number == key and clause.title == "":
                    clause.number = f"{key} ¶1"
        self.emit(number, text, numbered=False)

    def decimal(self, number: str, rest: str) -> None:
        self.letter = None
        # Only shallow numbers title a section (4.1, 1.04); 7.1.10 is always a clause, whatever its wording.
        is_heading = bool(rest) and number.count(".") <= 1 and _looks_like_heading(rest)
        if "." not in number and not self.section and self.headings and not is_heading:
            self.emit(self.list_item_number(number), rest)  # `1.` under an unnumbered heading
            return
        if is_heading:
            if "." not in number:
                self.headings = []  # `1 Definitions`: a top-level section of its own
            self.section, self.section_title = number, clean_inline(rest).rstrip(":")
            self.last = None
            return
        if not rest:
            self.unplaced.append(number)
            return
        self.emit(number, rest)

    def lettered(self, token: str, rest: str, indent: int) -> bool:
        lower = token.lower()
        if not rest:
            return False
        if len(lower) > 1 and not _is_roman(lower):
            return False
        expected = _next_letter(self.letter) if self.letter else "a"
        base = self.section or self.heading_prefix()
        is_roman = _is_roman(lower) and lower != expected and (self.letter is not None or len(lower) > 1)
        if token == "I" and expected == "l":  # a capital I read where the letter l was printed
            lower, is_roman = "l", False
        if is_roman and self.letter:
            self.emit(f"{base}({self.letter})({lower})", rest)
            return True
        if indent > 0 and self.letter and lower != expected:
            self.emit(f"{base}({self.letter})({lower})", rest)
            return True
        if len(lower) == 1:
            self.letter = lower
            self.emit(f"{base}({lower})", rest)
            return True
        return False


def _logical_lines(text: str) -> list[tuple[str, int, bool]]:
    """(text, indent, is_bullet) for each non-empty line; a bullet's marker is removed."""
    lines = []
    for line in text.splitlines():
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(" \t"))
        bullet = bool(BULLET.match(line))
        body = BULLET.sub("", line, count=1) if bullet else line
        lines.append((body.rstrip(), indent, bullet))
    return lines


@dataclass
class Corrections:
    meta: dict[str, Any]
    start_after: str | None
    stop_before: str | None
    top_headings: list[str]
    fixes: list[dict[str, str]]

    @classmethod
    def load(cls, path: Path | None) -> Corrections:
        data: dict[str, Any] = (
            tomllib.loads(path.read_text(encoding="utf-8")) if path and path.exists() else {}
        )
        body = data.get("body", {})
        return cls(
            meta=data.get("document", {}),
            start_after=body.get("start_after"),
            stop_before=body.get("stop_before"),
            top_headings=body.get("top_headings", []),
            fixes=data.get("fix", []),
        )


class ImportProblem(Exception):
    pass


def apply_corrections(text: str, corrections: Corrections) -> tuple[str, list[str]]:
    applied = []
    for fix in corrections.fixes:
        find, replace = fix["find"], fix.get("replace", "")
        if find not in text:
            raise ImportProblem(f"correction not applicable (text not found): {find[:60]!r}")
        text = text.replace(find, replace, 1)
        applied.append(fix.get("why", "hand correction"))
    if corrections.start_after:
        index = text.find(corrections.start_after)
        if index < 0:
            raise ImportProblem(f"start_after text not found: {corrections.start_after!r}")
        text = text[index + len(corrections.start_after) :]
    if corrections.stop_before:
        index = text.find(corrections.stop_before)
        if index < 0:
            raise ImportProblem(f"stop_before text not found: {corrections.stop_before!r}")
        text = text[:index]
    return text, applied


def import_text(
    text: str, doc_id: str, corrections: Corrections | None = None, source: str = ""
) -> ImportedDocument:
    corrections = corrections or Corrections({}, None, None, [], [])
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    body, applied = apply_corrections(text, corrections)
    parser = _Parser(corrections.top_headings)
    for line, indent, bullet in _logical_lines(body):
        parser.feed(line, indent, bullet)
    meta = corrections.meta
    first_heading = next((line for line, _i, _b in _logical_lines(text) if _looks_like_heading(line)), doc_id)
    document = ImportedDocument(
        id=doc_id,
        title=meta.get("title", parser.title or clean_inline(first_heading.lstrip("# "))),
        organization=meta.get("organization", ""),
        short_name=meta.get("short_name", meta.get("organization", doc_id)),
        policy_number=meta.get("policy_number", ""),
        adopted=meta.get("adopted", ""),
        revised=list(meta.get("revised", [])),
        source=source,
        clauses=parser.clauses,
        unplaced=parser.unplaced,
        corrections_applied=applied,
        source_sha256=sha,
    )
    _check_unique_numbers(document)
    return document


def _check_unique_numbers(document: ImportedDocument) -> None:
    seen: dict[str, int] = {}
    for clause in document.clauses:
        seen[clause.number] = seen.get(clause.number, 0) + 1
    duplicates = [number for number, count in seen.items() if count > 1]
    for number in duplicates:
        document.unplaced.append(f"clause number {number} appears {seen[number]} times")
        count = 0
        for clause in document.clauses:
            if clause.number == number:
                count += 1
                if count > 1:
                    clause.number = f"{number} ({count})"


def corrections_path_for(source: Path, corrections_dir: Path) -> Path:
    return corrections_dir / f"{source.stem}.toml"


def import_file(source: Path, corrections_dir: Path | None = None) -> ImportedDocument:
    corrections = Corrections.load(corrections_path_for(source, corrections_dir) if corrections_dir else None)
    return import_text(source.read_text(encoding="utf-8"), source.stem, corrections, source=source.name)
