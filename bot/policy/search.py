"""Finding the clause that answers a question.

BM25F over two fields (the clause text, and its heading path with its title and number), on stemmed words,
with a domain map of abbreviations and synonyms, typo correction of query words against the index's own
vocabulary (rapidfuzz), and a confidence test that refuses rather than cite an irrelevant clause.
The index is built once from the clause database and rebuilt on import.
"""

from __future__ import annotations

import heapq
import itertools
import math
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import snowballstemmer
from rapidfuzz import fuzz, process

from bot.policy.vocabulary import (
    ABBREVIATIONS,
    CASE_SENSITIVE_ABBREVIATIONS,
    DEFINITION_QUESTION,
    IDIOMS,
    STOP_WORDS,
    SYNONYMS,
    WEAK_WEIGHT,
    WEAK_WORDS,
)

WORD = re.compile(r"[A-Za-z0-9]+(?:['’][a-z]+)?")
K1 = 1.2
B_TEXT = 0.5
B_HEAD = 0.5
HEAD_WEIGHT = 1.5
CONTEXT_WEIGHT = 0.25
ITEMS_WEIGHT = 0.5  # a lead-in clause's list items: found by an item's words, below the item itself
SYNONYM_WEIGHT = 0.6
PHRASE_WEIGHT = 0.6  # two question words side by side in the clause ("business hours") score again
TYPO_SCORE = 84
UNSEEN_IDF = 7.0  # a query word no clause uses counts against confidence as a rare word would


@dataclass(frozen=True)
class Tuning:
    """The knobs, kept together so the quality script can switch techniques off one at a time."""

    stemming: bool = True
    headings: bool = True
    context: bool = True
    synonyms: bool = True
    weak_words: bool = True
    typos: bool = True
    phrases: bool = True
    # The lexical confidence test (no model installed), calibrated on the tuning split (bot/policy/questions/):
    # the thresholds that refuse ≥ 90% of its unanswerable questions and answer the most answerable ones.
    # An answer is confident when its clause matches most of the question, or part of it with a strong score.
    min_coverage: float = 0.45
    partial_coverage: float = 0.15
    strong_score: float = 10.0


@dataclass(frozen=True)
class SearchClause:
    document_id: str
    document: str  # the short name shown to people, e.g. "Taber"
    number: str
    heading: str
    text: str
    own: bool = True
    context: str = ""  # the clause this one belongs to, e.g. 1.07(b) for 1.07(b)(ii)
    items: tuple[str, ...] = ()  # a lead-in clause ("…includes:"): its list items, "number text" each

    @property
    def full_text(self) -> str:
        """The clause with its list items, as it is indexed and shown."""
        return " ".join((self.text, *self.items)) if self.items else self.text

    @property
    def key(self) -> str:
        return f"{self.document_id}#{self.number}"


@dataclass(frozen=True)
class Hit:
    clause: SearchClause
    score: float
    coverage: float  # the share of the question's informative weight this clause matches
    sentence: str = ""  # the sentence of the clause that best answers the question (shown in bold)


@dataclass
class Answer:
    question: str
    hits: list[Hit]
    confident: bool
    reason: str = ""
    terms: dict[str, float] = field(default_factory=dict)
    evidence: float | None = None  # the dense evidence behind the confidence test (None: lexical mode)
    routed_to: tuple[str, ...] = ()  # the documents of the town(s) the question names


_stemmer = snowballstemmer.stemmer("english")
_IDIOMS = [(re.compile(pattern, re.IGNORECASE), meaning) for pattern, meaning in IDIOMS.items()]
_DEFINITION_QUESTION = re.compile(DEFINITION_QUESTION, re.IGNORECASE)
DEFINITION_BOOST = 1.3


class PolicyIndex:
    def __init__(self, clauses: list[SearchClause], tuning: Tuning | None = None):
        self.tuning = tuning or Tuning()
        self.clauses = clauses
        self._stem_cache: dict[str, str] = {}
        text_tokens = [self._terms(clause.text) for clause in clauses]
        item_tokens = [self._terms(" ".join(clause.items)) for clause in clauses]
        head_tokens = [
            self._terms(f"{clause.heading} {clause.number}") if self.tuning.headings else []
            for clause in clauses
        ]
        context_tokens = [self._terms(clause.context) if self.tuning.context else [] for clause in clauses]
        fields = [
            (text_tokens, 1.0, B_TEXT),
            (head_tokens, HEAD_WEIGHT, B_HEAD),
            (context_tokens, CONTEXT_WEIGHT, B_TEXT),
            (item_tokens, ITEMS_WEIGHT, B_TEXT),
        ]
        count = max(len(clauses), 1)
        averages = [sum(map(len, tokens)) / count or 1.0 for tokens, _w, _b in fields]
        document_frequency: dict[str, int] = defaultdict(int)
        weighted_tf: list[dict[str, float]] = []
        for index in range(len(clauses)):
            # BM25F: length-normalised term frequencies, weighted per field and summed before saturation.
            tf: dict[str, float] = defaultdict(float)
            for (tokens, weight, b), average in zip(fields, averages, strict=True):
                norm = (1 - b) + b * len(tokens[index]) / average
                for term in tokens[index]:
                    tf[term] += weight / norm
            weighted_tf.append(tf)
            for term in tf:
                document_frequency[term] += 1
        self.idf = {
            term: math.log(1 + (count - df + 0.5) / (df + 0.5)) for term, df in document_frequency.items()
        }
        self.terms_of = [frozenset(tf) for tf in weighted_tf]
        # The weight does not depend on the question, so each posting stores its final contribution.
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for index, tf in enumerate(weighted_tf):
            for term, weighted in tf.items():
                self.postings[term].append((index, self.idf[term] * weighted * (K1 + 1) / (weighted + K1)))
        # The same postings as arrays, for scoring every clause at once (the fused search needs them all).
        self.posting_arrays = {
            term: (
                np.fromiter((i for i, _c in postings), dtype=np.int64, count=len(postings)),
                np.fromiter((c for _i, c in postings), dtype=np.float64, count=len(postings)),
            )
            for term, postings in self.postings.items()
        }
        self.definitions = [
            bool(re.search(r"\bdefinitions?\b", clause.heading, re.IGNORECASE)) for clause in clauses
        ]
        self.definition_rows = np.array([i for i, d in enumerate(self.definitions) if d], dtype=np.int64)
        self.phrases: dict[tuple[str, str], list[int]] = defaultdict(list)
        if self.tuning.phrases:
            for index, tokens in enumerate(text_tokens):
                for pair in set(itertools.pairwise(tokens)):
                    self.phrases[pair].append(index)
        self.vocabulary = sorted(
            {
                word.lower()
                for clause in clauses
                for word in WORD.findall(f"{clause.text} {clause.heading}")
                if len(word) > 2 and not word.isdigit()
            }
        )
        self._surface = set(self.vocabulary)

    # ----- words
    def _stem(self, word: str) -> str:
        if not self.tuning.stemming:
            return word
        stem = self._stem_cache.get(word)
        if stem is None:
            stem = self._stem_cache[word] = _stemmer.stemWord(word)
        return stem

    def _terms(self, text: str) -> list[str]:
        return [
            self._stem(word)
            for word in (w.lower().replace("’", "'") for w in WORD.findall(text))
            if word not in STOP_WORDS
        ]

    def _correct(self, word: str) -> str:
        if (
            not self.tuning.typos
            or len(word) < 4
            or word in self._surface
            or word in ABBREVIATIONS
            or word in SYNONYMS
            or word.isdigit()
        ):
            return word
        match = process.extractOne(word, self.vocabulary, scorer=fuzz.ratio, score_cutoff=TYPO_SCORE)
        return match[0] if match else word

    def normalise(self, question: str, known: Callable[[str], bool] = lambda word: False) -> str:
        """The question with abbreviations spelled out and misspelt words corrected against the clauses'
        own words, for the sentence-embedding model (whose word pieces do not forgive typos). A word the
        model `known`s whole is left alone: it is a word, not a typo ("reset" is not "rest")."""

        def rewrite(match: re.Match[str]) -> str:
            raw = match.group(0)
            if raw in CASE_SENSITIVE_ABBREVIATIONS:
                return " ".join(CASE_SENSITIVE_ABBREVIATIONS[raw])
            word = raw.lower().replace("’", "'")
            if word in ABBREVIATIONS:
                expanded = [w for w in ABBREVIATIONS[word] if w != word] or ABBREVIATIONS[word]
                return " ".join(expanded) if expanded else raw
            if word in STOP_WORDS or known(word):
                return raw
            corrected = self._correct(word)
            return raw if corrected == word else corrected

        return WORD.sub(rewrite, question)

    def query_terms(self, question: str) -> dict[str, float]:
        """Stemmed query terms with their weights: 1 for the user's words, less for related words."""
        return self._query(question)[0]

    def _query(self, question: str) -> tuple[dict[str, float], list[str]]:
        weights: dict[str, float] = {}
        sequence: list[str] = []  # the user's own words in order, for phrases

        def add(word: str, weight: float) -> None:
            if word in STOP_WORDS:
                return
            term = self._stem(word)
            if weight == 1.0 and self.tuning.weak_words and word in WEAK_WORDS:
                weight = WEAK_WEIGHT
            if weight >= WEAK_WEIGHT and (not sequence or sequence[-1] != term):
                sequence.append(term)
            weights[term] = max(weights.get(term, 0.0), weight)

        if self.tuning.synonyms:
            for pattern, meaning in _IDIOMS:
                question = pattern.sub(meaning, question)
        for raw in WORD.findall(question):
            if self.tuning.synonyms and raw in CASE_SENSITIVE_ABBREVIATIONS:
                for word in CASE_SENSITIVE_ABBREVIATIONS[raw]:
                    add(word, 1.0)
                continue
            word = raw.lower().replace("’", "'")
            if word in STOP_WORDS:
                continue
            if self.tuning.synonyms and word in ABBREVIATIONS:
                for expanded in ABBREVIATIONS[word]:
                    add(expanded, 1.0)
                continue
            word = self._correct(word)
            add(word, 1.0)
            if self.tuning.synonyms:
                for related in SYNONYMS.get(word, []):
                    if self._stem(related) not in weights:
                        weights[self._stem(related)] = SYNONYM_WEIGHT
        return weights, sequence

    # ----- searching
    def scores(self, question: str) -> tuple[dict[int, float], dict[str, float]]:
        """BM25F score of every clause that shares a word with the question, and the query's terms."""
        terms, sequence = self._query(question)
        scores: dict[int, float] = defaultdict(float)
        for term, weight in terms.items():
            for index, contribution in self.postings.get(term, ()):
                scores[index] += weight * contribution
        if self.tuning.synonyms and _DEFINITION_QUESTION.search(question):
            for index in scores:
                if self.definitions[index]:
                    scores[index] *= DEFINITION_BOOST
        for first, second in itertools.pairwise(sequence):
            bonus = PHRASE_WEIGHT * min(self.idf.get(first, 0.0), self.idf.get(second, 0.0))
            for index in self.phrases.get((first, second), ()):
                scores[index] += bonus
        return scores, terms

    def score_array(self, question: str) -> tuple[np.ndarray, dict[str, float]]:
        """`scores` as one array over all clauses (0 where a clause shares no word with the question)."""
        terms, sequence = self._query(question)
        scores = np.zeros(len(self.clauses), dtype=np.float64)
        for term, weight in terms.items():
            found = self.posting_arrays.get(term)
            if found is not None:
                scores[found[0]] += weight * found[1]  # a term's rows are distinct: no lost updates
        if self.tuning.synonyms and _DEFINITION_QUESTION.search(question) and len(self.definition_rows):
            scores[self.definition_rows] *= DEFINITION_BOOST
        for first, second in itertools.pairwise(sequence):
            rows = self.phrases.get((first, second))
            if rows:
                scores[rows] += PHRASE_WEIGHT * min(self.idf.get(first, 0.0), self.idf.get(second, 0.0))
        return scores, terms

    def search(self, question: str, k: int = 3) -> Answer:
        scores, terms = self.scores(question)
        if not terms:
            return Answer(question, [], False, "the question has no words to search for", terms)
        if not scores:
            return Answer(question, [], False, "no clause uses these words", terms)
        ranked = heapq.nsmallest(max(k * 4, 12), scores.items(), key=lambda item: (-item[1], item[0]))
        hits = [Hit(self.clauses[index], score, self._coverage(index, terms)) for index, score in ranked]
        hits = self._own_first(hits)[:k]
        confident, reason = self.lexical_confidence(hits[0])
        return Answer(question, hits, confident, reason, terms)

    def lexical_confidence(self, best: Hit) -> tuple[bool, str]:
        """With no model, the confidence test: the clause matches most of the question, or a good part of
        it with a strong score."""
        tuning = self.tuning
        confident = best.coverage >= tuning.min_coverage or (
            best.coverage >= tuning.partial_coverage and best.score >= tuning.strong_score
        )
        return (
            confident,
            "" if confident else f"the best clause matches only {best.coverage:.0%} of the question",
        )

    def coverage(self, index: int, terms: dict[str, float]) -> float:
        return self._coverage(index, terms)

    def _coverage(self, index: int, terms: dict[str, float]) -> float:
        """The share of the question's informative weight (idf of the user's own words) this clause matches;
        related words that match count half. Words no clause uses count as rare words that did not match."""
        present = self.terms_of[index]
        total = matched = 0.0
        for term, weight in terms.items():
            idf = self.idf.get(term, UNSEEN_IDF)
            informative = weight > SYNONYM_WEIGHT  # the user's own words (weak ones count for less)
            if informative:
                total += weight * idf
            if term in present:
                matched += weight * idf if informative else 0.5 * weight * idf
        return min(1.0, matched / total) if total else 0.0

    @staticmethod
    def _own_first(hits: list[Hit], basis: dict[str, float] | None = None) -> list[Hit]:
        """The organisation's own documents first among comparable answers; the others follow as 'elsewhere'.
        `basis`: the scores to compare by, when not the hits' own (the fused search compares before the
        exemplar lift, as the shipped documents' curated exemplars would otherwise outrank the town's own)."""
        if not hits or all(hit.clause.own for hit in hits):
            return hits
        compared = {hit.clause.key: hit.score for hit in hits} if basis is None else basis
        floor = max(compared[hit.clause.key] for hit in hits) * 0.6
        strong_own = [hit for hit in hits if hit.clause.own and compared[hit.clause.key] >= floor]
        rest = [hit for hit in hits if hit not in strong_own]
        return strong_own + rest
