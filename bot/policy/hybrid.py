"""The search the bot runs: route by town, then BM25F and sentence embeddings fused by min–max normalised
scores, lifted by exemplars (curated questions and questions people confirmed). It refuses on the dense
evidence of the town-stripped question: its best cosine with a clause or an exemplar, less a share of its
cosine with a curated question the policies do not answer. With no model installed it is BM25F alone, with
routing, and the lexical confidence test.

The weights are chosen on the tuning split (`flagpost policy eval --tune`), never on the held-out split.
"""

from __future__ import annotations

import heapq
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from bot.policy.embedding import Embedder, VectorCache
from bot.policy.routing import Route, Router
from bot.policy.search import Answer, Hit, PolicyIndex, SearchClause, Tuning


@dataclass(frozen=True)
class Techniques:
    """Each can be switched off, for the ablation rows of `flagpost policy eval`."""

    routing: bool = True
    dense: bool = True  # off: BM25F alone (the lexical mode)
    fusion: bool = True  # off: the dense score alone
    exemplars: bool = True
    unanswered: bool = True  # curated questions the policies do not answer count against answering
    normalise: bool = True  # abbreviations spelled out and typos corrected before the model reads it


@dataclass(frozen=True)
class Calibration:
    """Chosen on the tuning split, leave-one-out (`flagpost policy eval --tune`): the ranking weights with the
    best hit@1 (then MRR); then the share of the unanswered cosine and the refusal threshold that refuse the
    most unanswerable questions while still answering 95% of answerable ones."""

    dense_weight: float = 0.4  # fused = w · dense + (1 − w) · BM25F, both min–max normalised
    exemplar_weight: float = 1.2  # the most an exemplar lifts its clause
    exemplar_floor: float = 0.4  # an exemplar closer than this cosine starts to lift
    unanswered_weight: float = 0.5  # evidence = best clause/exemplar cosine − w · best unanswered cosine
    refuse_below: float = 0.2833  # the evidence below which the question is refused


# Each model tier's own, chosen on the tuning split with that model (`FLAGPOST_MODEL=… flagpost policy eval
# --tune`); the default Calibration() is all-MiniLM-L6-v2's.
CALIBRATIONS = {
    "all-MiniLM-L6-v2": Calibration(),
    "all-mpnet-base-v2": Calibration(
        dense_weight=0.6, exemplar_weight=1.6, exemplar_floor=0.5, unanswered_weight=0.5, refuse_below=0.3031
    ),
}


@dataclass(frozen=True)
class Exemplar:
    text: str
    clause_key: str | None  # "document-id#number"; None: a question the policies do not answer


@dataclass(frozen=True)
class ExemplarIndex:
    """The exemplars as the search reads them, swapped in one assignment."""

    answered: list[Exemplar]
    vectors: np.ndarray  # one row per answered exemplar
    rows: np.ndarray  # each answered exemplar's clause row
    unanswered: list[Exemplar]
    unanswered_vectors: np.ndarray


NO_EXEMPLARS = ExemplarIndex(
    [], np.zeros((0, 1), np.float32), np.zeros(0, np.int64), [], np.zeros((0, 1), np.float32)
)


WORD = re.compile(r"\w+")
SENTENCE = re.compile(r"(?<=[.;!?])\s+(?=[A-Z(“\"'])")
SENTENCE_CACHE = 4096


def embedding_text(clause: SearchClause) -> str:
    heading = clause.heading.split(" › ")[-1] if clause.heading else ""
    return f"{heading}: {clause.full_text}" if heading else clause.full_text


class Searcher:
    """The index of one set of clauses, lexical and (with a model) dense. Built once, searched by many
    threads."""

    def __init__(
        self,
        clauses: list[SearchClause],
        *,
        embedder: Embedder | None = None,
        vectors: VectorCache | None = None,
        tuning: Tuning | None = None,
        techniques: Techniques | None = None,
        calibration: Calibration | None = None,
        exemplars: Sequence[Exemplar] = (),
        lexical: PolicyIndex | None = None,
        clause_vectors: np.ndarray | None = None,
    ):
        self.clauses = clauses
        self.techniques = techniques or Techniques()
        self.calibration = calibration or CALIBRATIONS.get(embedder.name if embedder else "", Calibration())
        self.lexical = lexical or PolicyIndex(clauses, tuning)
        self.tuning = self.lexical.tuning
        self.router = Router(sorted({(c.document_id, c.document) for c in clauses}))
        self.rows: dict[str, np.ndarray] = {}
        for document_id in {c.document_id for c in clauses}:
            self.rows[document_id] = np.array(
                [i for i, c in enumerate(clauses) if c.document_id == document_id], dtype=np.int64
            )
        self.position = {clause.key: i for i, clause in enumerate(clauses)}
        self.embedder = embedder
        self._cache = vectors
        if embedder is not None and clause_vectors is None:
            cache = vectors or VectorCache(embedder)
            clause_vectors = cache.vectors([embedding_text(c) for c in clauses])
        self.vectors = clause_vectors
        self._sentences: OrderedDict[str, np.ndarray] = OrderedDict()
        self._sentence_lock = threading.Lock()
        self._exemplars = NO_EXEMPLARS
        self.set_exemplars(exemplars)

    @property
    def mode(self) -> str:
        return "fused" if self.dense else "lexical"

    @property
    def dense(self) -> bool:
        return self.embedder is not None and self.vectors is not None and self.techniques.dense

    def variant(
        self, techniques: Techniques | None = None, calibration: Calibration | None = None
    ) -> Searcher:
        """The same index (nothing recomputed) with other techniques or weights: for tuning and ablation."""
        twin = Searcher(
            self.clauses,
            embedder=self.embedder,
            techniques=techniques or self.techniques,
            calibration=calibration or self.calibration,
            lexical=self.lexical,
            clause_vectors=self.vectors,
        )
        twin._sentences = self._sentences
        reads_alike = (twin.techniques.routing, twin.techniques.normalise) == (
            self.techniques.routing,
            self.techniques.normalise,
        )
        if reads_alike:
            twin._exemplars = self._exemplars
        else:  # exemplars are read as questions are: with or without the town's name, normalised or not
            twin._cache = self._cache
            twin.set_exemplars(self.exemplars)
        return twin

    # ----- exemplars
    @property
    def exemplars(self) -> list[Exemplar]:
        return self._exemplars.answered + self._exemplars.unanswered

    def set_exemplars(self, exemplars: Iterable[Exemplar]) -> None:
        """Replace the exemplars (an answered one counts only if its clause is in the index), in one
        assignment, so a search running meanwhile sees the old set or the new one."""
        given = list(exemplars)
        answered = [e for e in given if e.clause_key in self.position]
        unanswered = [e for e in given if e.clause_key is None]
        if self.embedder is None:
            self._exemplars = replace(NO_EXEMPLARS, answered=answered, unanswered=unanswered)
            return
        cache = self._cache or VectorCache(self.embedder)
        vectors = cache.vectors([self._as_read(self.route(e.text).question) for e in answered + unanswered])
        rows = np.array([self.position[str(e.clause_key)] for e in answered], dtype=np.int64)
        self._exemplars = ExemplarIndex(
            answered, vectors[: len(answered)], rows, unanswered, vectors[len(answered) :]
        )

    def _exemplar_cosine(
        self, exemplars: ExemplarIndex, query: np.ndarray, exclude: str | None
    ) -> np.ndarray | None:
        """Each clause's best cosine between the question and one of its exemplars (−1: none)."""
        if not self.techniques.exemplars or not len(exemplars.rows):
            return None
        similarity = exemplars.vectors @ query
        _leave_out(similarity, exemplars.answered, exclude)
        best = np.full(len(self.clauses), -1.0, dtype=np.float32)
        np.maximum.at(best, exemplars.rows, similarity)
        return best

    def _unanswered_cosine(self, exemplars: ExemplarIndex, query: np.ndarray, exclude: str | None) -> float:
        if not (self.techniques.exemplars and self.techniques.unanswered) or not exemplars.unanswered:
            return 0.0
        similarity = exemplars.unanswered_vectors @ query
        _leave_out(similarity, exemplars.unanswered, exclude)
        return max(float(similarity.max()), 0.0)

    # ----- searching
    def route(self, question: str) -> Route:
        return self.router.route(question) if self.techniques.routing else Route((), question)

    def search(
        self, question: str, k: int = 3, exclude_exemplar: str | None = None, within: tuple[str, ...] = ()
    ) -> Answer:
        """`within`: search these documents as if the question named their town (for scoring questions
        labelled in one document)."""
        route = self.route(question)
        if within:
            route = Route(tuple(d for d in within if d in self.rows), route.question)
        text = route.question
        candidates = (
            np.concatenate([self.rows[d] for d in route.documents])
            if route.documents
            else np.arange(len(self.clauses))
        )
        if not self.dense:
            lexical_scores, terms = self.lexical.scores(text)
            return self._lexical_answer(question, route, candidates, lexical_scores, terms, k)
        assert self.embedder is not None and self.vectors is not None
        query = self.embedder.encode_one(self._as_read(text))
        cosine = self._cosine(query, candidates if route.documents else None)
        score = _minmax(cosine)
        all_scores, terms = self.lexical.score_array(text)
        calibration = self.calibration
        if self.techniques.fusion:
            bm25 = all_scores[candidates] if route.documents else all_scores
            score = calibration.dense_weight * score + (1 - calibration.dense_weight) * _minmax(bm25)
        closest = float(cosine.max()) if len(cosine) else 0.0
        unlifted = score
        exemplars = self._exemplars  # one set for the whole search, whatever a vote swaps in meanwhile
        exemplar_cosine = self._exemplar_cosine(exemplars, query, exclude_exemplar)
        if exemplar_cosine is not None:
            near = exemplar_cosine[candidates]
            floor = calibration.exemplar_floor
            score = score + calibration.exemplar_weight * np.clip((near - floor) / (1 - floor), 0.0, 1.0)
            closest = max(closest, float(near.max()))
        unanswered = self._unanswered_cosine(exemplars, query, exclude_exemplar)
        evidence = closest - calibration.unanswered_weight * unanswered
        top = _top(score, max(k * 4, 12))
        if not route.documents and unlifted is not score:  # the best before the lift may be the town's own
            top += [i for i in _top(unlifted, max(k * 4, 12)) if i not in top]
            top.sort(key=lambda i: -score[i])
        hits = [
            Hit(
                self.clauses[int(candidates[i])],
                float(score[i]),
                self.lexical.coverage(int(candidates[i]), terms),
            )
            for i in top
        ]
        if not route.documents:
            basis = {self.clauses[int(candidates[i])].key: float(unlifted[i]) for i in top}
            hits = PolicyIndex._own_first(hits, basis)
        hits = hits[:k]
        confident = evidence >= calibration.refuse_below
        reason = "" if confident else "no clause is close enough in meaning to the question"
        if hits and confident:  # a refused question's nearest clause is not its answer: nothing in bold
            hits[0] = replace(hits[0], sentence=self._best_sentence(hits[0].clause, query, terms))
        return Answer(question, hits, confident, reason, terms, evidence, route.documents)

    def _as_read(self, text: str) -> str:
        """What the model reads: abbreviations spelled out and typos corrected (a question and an exemplar
        alike, each without its town's name)."""
        assert self.embedder is not None
        return self.lexical.normalise(text, self.embedder.knows) if self.techniques.normalise else text

    def _cosine(self, query: np.ndarray, candidates: np.ndarray | None) -> np.ndarray:
        """Each candidate clause's cosine with the question; None: every clause (the matrix itself, as
        indexing would copy it)."""
        assert self.vectors is not None
        return (self.vectors if candidates is None else self.vectors[candidates]) @ query

    def _lexical_answer(
        self,
        question: str,
        route: Route,
        candidates: np.ndarray,
        scores: dict[int, float],
        terms: dict[str, float],
        k: int,
    ) -> Answer:
        if not terms:
            return Answer(question, [], False, "the question has no words to search for", terms)
        if route.documents:
            allowed = set(candidates.tolist())
            scores = {row: value for row, value in scores.items() if row in allowed}
        if not scores:
            return Answer(question, [], False, "no clause uses these words", terms, None, route.documents)
        ranked = heapq.nsmallest(max(k * 4, 12), scores.items(), key=lambda item: (-item[1], item[0]))
        hits = [Hit(self.clauses[i], s, self.lexical.coverage(i, terms)) for i, s in ranked]
        if not route.documents:
            hits = PolicyIndex._own_first(hits)
        hits = hits[:k]
        confident, reason = self.lexical.lexical_confidence(hits[0])
        if confident:
            hits[0] = replace(hits[0], sentence=self._best_sentence(hits[0].clause, None, terms))
        return Answer(question, hits, confident, reason, terms, None, route.documents)

    # ----- the sentence to show in bold
    def _best_sentence(self, clause: SearchClause, query: np.ndarray | None, terms: dict[str, float]) -> str:
        sentences = [s for s in SENTENCE.split(clause.text) if s.strip()]
        if len(sentences) < 2:
            return ""
        if query is not None and self.embedder is not None:
            vectors = np.stack([self._sentence_vector(s) for s in sentences])
            return sentences[int(np.argmax(vectors @ query))]
        idf = self.lexical.idf

        def weight(sentence: str) -> float:
            present = set(self.lexical._terms(sentence))
            return sum(idf.get(term, 0.0) * w for term, w in terms.items() if term in present)

        best = max(sentences, key=weight)
        return best if weight(best) > 0 else ""

    def _sentence_vector(self, sentence: str) -> np.ndarray:
        with self._sentence_lock:
            vector = self._sentences.get(sentence)
            if vector is not None:
                self._sentences.move_to_end(sentence)
                return vector
        assert self.embedder is not None
        vector = self.embedder.encode_one(sentence)
        with self._sentence_lock:
            self._sentences[sentence] = vector
            while len(self._sentences) > SENTENCE_CACHE:
                self._sentences.popitem(last=False)
        return vector


def _leave_out(similarity: np.ndarray, exemplars: list[Exemplar], text: str | None) -> None:
    """Leave-one-out on the tuning split: a question is not its own exemplar, nor one that differs from it
    only in case, spacing or punctuation."""
    if text is not None:
        own = _as_written(text)
        for i, exemplar in enumerate(exemplars):
            if _as_written(exemplar.text) == own:
                similarity[i] = -1.0


def _as_written(text: str) -> str:
    return " ".join(WORD.findall(text.casefold()))


def _minmax(values: np.ndarray) -> np.ndarray:
    if not len(values):
        return values
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-12:
        return np.zeros_like(values)
    return (values - low) / (high - low)


def _top(score: np.ndarray, n: int) -> list[int]:
    if len(score) <= n:
        order = np.argsort(-score, kind="stable")
    else:
        part = np.argpartition(-score, n)[:n]
        order = part[np.argsort(-score[part], kind="stable")]
    return [int(i) for i in order]
