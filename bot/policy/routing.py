"""Routing by town: a question that names the town of a loaded document ("in Taber", "Calgary:",
"Middlesex Centre") is answered from that document, and the town's name is taken out of the question before
scoring; otherwise the name pulls towards clauses that happen to say "Town of X"."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

GENERIC = re.compile(r"^(?:town|city|municipality|county|village|district|region) of ", re.IGNORECASE)
PLACE_WORDS = r"(?:the\s+)?(?:(?:town|city|municipality|county|village|district)\s+of\s+)?"
LEFTOVER = re.compile(r"\s+([,:;?!.])|^[\s,:;.-]+|\s{2,}")


@dataclass(frozen=True)
class Route:
    documents: tuple[str, ...]  # document ids the question names; empty: none named
    question: str  # the question without the town's name


class Router:
    """Town names → document ids, from the documents' short names ("Middlesex Centre" answers to
    "Middlesex" too)."""

    def __init__(self, documents: Iterable[tuple[str, str]]):
        names: dict[str, set[str]] = {}
        for document_id, short in documents:
            short = GENERIC.sub("", short).strip()
            if not short or short.lower() == "synthetic":
                continue
            variants = {short, short.split()[0]} if len(short.split()[0]) > 3 else {short}
            if short.lower().endswith(" centre"):
                variants.add(short[: -len("centre")] + "center")
            for variant in variants:
                names.setdefault(variant.lower(), set()).add(document_id)
        self.names = names
        alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
        # not inside an address ("@taber.ca") or a word
        town = rf"(?<![@.\w]){PLACE_WORDS}({alternatives})(?:['’]s)?\b(?!\.\w)"
        self.pattern = re.compile(town, re.IGNORECASE) if names else None

    def route(self, question: str) -> Route:
        if self.pattern is None:
            return Route((), question)
        found: list[str] = []
        for match in self.pattern.finditer(question):
            for document_id in sorted(self.names[match.group(1).lower()]):
                if document_id not in found:
                    found.append(document_id)
        if not found:
            return Route((), question)
        stripped = self.pattern.sub(" ", question)
        stripped = re.sub(r"\b(?:in|at|for|from|of)\s+(?=[,:;?!.]|$)", "", stripped, flags=re.IGNORECASE)
        stripped = LEFTOVER.sub(
            lambda m: m.group(1) or (" " if m.group(0).startswith("  ") else ""), stripped
        )
        return Route(tuple(found), stripped.strip().lstrip(",:;.- ") or question)
