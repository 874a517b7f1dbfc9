"""Policy search: the model (verified, built without PyTorch, run with onnxruntime), town routing, the fused
ranking and the lexical fallback, exemplars, refusals, the vector cache, and how an answer is shown."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from bot.policy import SHIPPED_CLAUSES, embedding
from bot.policy.blocks import answer_message
from bot.policy.curated import (
    ACROSS_DOCUMENTS,
    ONE_DOCUMENT,
    TUNING_FILES,
    curated_exemplars,
    load_questions,
    ranked_questions,
    tuning_questions,
)
from bot.policy.embedding import (
    Embedder,
    VectorCache,
    carrier_directory,
    installed,
    load_embedder,
    model_status,
)
from bot.policy.evaluation import evaluate
from bot.policy.files import clauses_from_files
from bot.policy.hybrid import Exemplar, Searcher, Techniques
from bot.policy.onnx_build import MINILM, MPNET, ModelProblem, build_onnx, verify
from bot.policy.routing import Router
from bot.policy.search import Hit, SearchClause
from tests.conftest import ROOT

HELDOUT = ROOT / "tests" / "policy_questions_heldout.toml"


@pytest.fixture(scope="module")
def model() -> Embedder:
    found = load_embedder()
    assert found is not None, f"the model is not installed: `make install` installs {MINILM.carrier_pin}"
    return found


@pytest.fixture(scope="module")
def clauses() -> list[SearchClause]:
    return clauses_from_files([SHIPPED_CLAUSES])


@pytest.fixture(scope="module")
def fused(model: Embedder, clauses: list[SearchClause]) -> Searcher:
    documents = sorted({c.document_id for c in clauses})
    return Searcher(clauses, embedder=model, exemplars=curated_exemplars(documents))


@pytest.fixture(scope="module")
def lexical(clauses: list[SearchClause]) -> Searcher:
    return Searcher(clauses)


WEATHER = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]


def test_the_graph_built_from_the_carrier_gives_the_upstream_models_similarities(tmp_path: Path) -> None:
    # The model card of sentence-transformers/all-MiniLM-L6-v2 prints these three similarities: the fp32
    # graph written from the verified weights reproduces them.
    source = carrier_directory(MINILM)
    assert source is not None, f"the model is not installed: `make install` installs {MINILM.carrier_pin}"
    fp32 = dataclasses.replace(MINILM, int8=False)
    graph = build_onnx(source / "model.safetensors", tmp_path / "fp32.onnx", fp32)
    vectors = Embedder(fp32, graph, source / "tokenizer.json").encode(WEATHER)
    similarity = vectors @ vectors.T
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert similarity[0, 1] == pytest.approx(0.6660, abs=2e-4)
    assert similarity[0, 2] == pytest.approx(0.1046, abs=2e-4)
    assert similarity[1, 2] == pytest.approx(0.1411, abs=2e-4)


def test_the_int8_model_the_bot_runs_stays_close_to_it(model: Embedder) -> None:
    similarity = (vectors := model.encode(WEATHER)) @ vectors.T
    assert model.spec.int8 and "fused" in model_status()
    assert similarity[0, 1] == pytest.approx(0.6660, abs=0.02)
    assert similarity[0, 2] == pytest.approx(0.1046, abs=0.05)


@pytest.mark.skipif(not installed(MPNET), reason="the optional all-mpnet-base-v2 tier is not installed")
def test_the_larger_tier_gives_the_upstream_models_similarities() -> None:
    # all-mpnet-base-v2's similarities for the same three sentences (sentence-transformers' documentation:
    # 0.6817, 0.0492, 0.0421); the fp32 graph matched transformers' MPNetModel to 1.2e-7, and the int8 one
    # (FFN outputs in fp32) stays within 0.02 of it.
    larger = load_embedder(MPNET)
    assert larger is not None and larger.name == "all-mpnet-base-v2"
    vectors = larger.encode(
        ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
    )
    similarity = vectors @ vectors.T
    assert similarity[0, 1] == pytest.approx(0.6817, abs=0.02)
    assert similarity[0, 2] == pytest.approx(0.0492, abs=0.02)
    assert similarity[1, 2] == pytest.approx(0.0421, abs=0.02)


def test_weights_that_are_not_the_upstream_models_are_refused(tmp_path: Path) -> None:
    forged = tmp_path / "model.safetensors"
    forged.write_bytes(b"not the model")
    with pytest.raises(ModelProblem, match="is not the upstream model"):
        verify(forged, MINILM.weights_sha256)


def test_without_the_model_search_is_lexical_and_says_so(monkeypatch, clauses: list[SearchClause]) -> None:
    monkeypatch.setattr(embedding, "carrier_directory", lambda spec, cache=None: None)
    monkeypatch.setattr(embedding, "_loaded", {})
    assert load_embedder() is None
    assert model_status().startswith("lexical: the model is not installed")
    index = Searcher(clauses, embedder=None)
    answer = index.search("how often do we change the social media password")
    assert index.mode == "lexical" and answer.evidence is None
    assert answer.confident and answer.hits[0].clause.key == "taber-adm-7-procedure#1.03(f)"


def test_a_named_town_routes_to_its_document_and_leaves_the_query() -> None:
    router = Router(
        [("taber-adm-7", "Taber"), ("middlesex-centre", "Middlesex Centre"), ("calgary", "Calgary")]
    )
    route = router.route("In Taber, can I post photos?")
    assert route.documents == ("taber-adm-7",) and route.question == "can I post photos?"
    route = router.route("Calgary: who approves a new account")
    assert route.documents == ("calgary",) and route.question == "who approves a new account"
    assert router.route("middlesex comment rules").documents == ("middlesex-centre",)
    assert router.route("can I use my @taber.ca address for amazon").documents == ()
    assert router.route("how often do we change passwords").documents == ()


@pytest.mark.parametrize("mode", ["fused", "lexical"])
def test_a_question_naming_a_town_is_answered_from_that_towns_policy(
    mode: str, fused: Searcher, lexical: Searcher
) -> None:
    index = fused if mode == "fused" else lexical
    for town, document in (
        ("Westlock", "westlock"),
        ("Calgary", "calgary"),
        ("Middlesex Centre", "middlesex"),
    ):
        answer = index.search(f"{town}: can I share photos of a fire scene on my personal account?")
        assert answer.routed_to and all(hit.clause.document_id.startswith(document) for hit in answer.hits)


def test_fused_search_meets_its_floor_on_the_tuning_split(fused: Searcher) -> None:
    report = evaluate(fused, ranked_questions(), leave_one_out=True)
    assert report.answerable >= 150 and report.unanswerable >= 15
    assert report.hit1 >= 0.8 and report.hit3 >= 0.9  # measured 0.844 and 0.931 (README)
    assert report.refused_share >= 0.75 and report.answered_confidently >= 0.95


def test_exemplar_files_are_scored_within_their_document(fused: Searcher) -> None:
    exemplar_files = [q for q in tuning_questions() if q.labelled == ONE_DOCUMENT]
    assert len(exemplar_files) >= 1000 and {q.kind for q in exemplar_files} >= {"situational", "unanswerable"}
    report = evaluate(fused, exemplar_files[::10], leave_one_out=True)
    assert report.hit1 >= 0.4  # measured 0.548 on them all (README)
    assert {q.labelled for q in ranked_questions()} == {ACROSS_DOCUMENTS}


def test_lexical_search_meets_its_floor_on_the_tuning_split(lexical: Searcher) -> None:
    report = evaluate(lexical, ranked_questions())
    assert report.hit1 >= 0.6 and report.hit3 >= 0.75  # measured 0.644 and 0.781 (README)
    assert report.refused_share >= 0.7


def test_fusion_beats_each_half_alone_on_the_tuning_split(fused: Searcher) -> None:
    questions = ranked_questions()
    both = evaluate(fused.variant(Techniques(exemplars=False)), questions).mrr
    dense_alone = evaluate(fused.variant(Techniques(fusion=False, exemplars=False)), questions).mrr
    bm25_alone = evaluate(fused.variant(Techniques(dense=False)), questions).mrr
    assert both > dense_alone and both > bm25_alone


def test_refusal_is_on_the_dense_cosine_of_the_town_stripped_question(fused: Searcher) -> None:
    refused = fused.search("Taber: how many vacation days do I get?")
    assert not refused.confident and refused.evidence is not None
    assert refused.evidence < fused.calibration.refuse_below
    answered = fused.search("Taber: how often must we change the social media passwords?")
    assert answered.confident and answered.hits[0].clause.key == "taber-adm-7-procedure#1.03(f)"


def test_an_exemplar_lifts_its_clause(model: Embedder, clauses: list[SearchClause]) -> None:
    question = "who do we call when the mayor's page starts posting spam links"
    plain = Searcher(clauses, embedder=model)
    first, second = (hit.clause.key for hit in plain.search(question, k=2).hits)
    confirmed = Exemplar("who should we call when the mayor's page posts spam links", second)
    taught = Searcher(clauses, embedder=model, exemplars=[confirmed])
    assert taught.search(question, k=1).hits[0].clause.key == second
    assert taught.variant(Techniques(exemplars=False)).search(question, k=1).hits[0].clause.key == first


def test_a_curated_unanswerable_question_counts_against_answering(
    model: Embedder, clauses: list[SearchClause]
) -> None:
    question = "will the town pay my cell phone bill if I answer the fb page from my own phone"
    plain = Searcher(clauses, embedder=model).search(question)
    unanswered = Exemplar("does the town cover my phone plan when I run the rec centre insta from it", None)
    taught = Searcher(clauses, embedder=model, exemplars=[unanswered]).search(question)
    assert plain.confident and not taught.confident
    assert taught.evidence is not None and plain.evidence is not None
    assert taught.evidence < plain.evidence
    assert [hit.clause.key for hit in taught.hits] == [hit.clause.key for hit in plain.hits]
    assert (
        plain.hits[0].sentence and not taught.hits[0].sentence
    )  # a refused question's nearest clause: no bold


def test_own_documents_come_first_on_the_score_before_the_exemplar_lift(
    model: Embedder, clauses: list[SearchClause]
) -> None:
    shipped = [dataclasses.replace(c, own=False) for c in clauses]
    ours = SearchClause(
        "ours", "Ours", "4.1", "Passwords", "Change the social media passwords every 90 days."
    )
    documents = sorted({c.document_id for c in clauses})
    index = Searcher([*shipped, ours], embedder=model, exemplars=curated_exemplars(documents))
    hits = index.search("how often do we have to change the social media passwords?", k=3).hits
    assert hits[0].clause.key == "ours#4.1"
    assert hits[0].score < 0.6 * max(hit.score for hit in hits)  # lifted, the shipped clause is far ahead


def test_leave_one_out_leaves_out_unanswerable_exemplars_as_written(
    model: Embedder, clauses: list[SearchClause]
) -> None:
    question = "can i get paid overtime for answering comments at night"
    plain = Searcher(clauses, embedder=model).search(question).evidence
    index = Searcher(
        clauses,
        embedder=model,
        exemplars=[Exemplar("Can I get paid overtime for answering comments, at night?", None)],
    )
    assert index.search(question).evidence < plain
    assert index.search(question, exclude_exemplar=question).evidence == pytest.approx(plain)


def test_held_out_questions_are_never_exemplars() -> None:
    curated = {q.text for q in tuning_questions()}
    assert all(path.parent.name == "questions" for path in TUNING_FILES)
    if HELDOUT.is_file():
        assert curated.isdisjoint(q.text for q in load_questions(HELDOUT))


def test_clause_vectors_are_computed_once_and_by_content(model: Embedder, tmp_path: Path) -> None:
    calls: list[int] = []

    class Counting(Embedder):
        def __init__(self) -> None:
            self.__dict__.update(model.__dict__)

        def encode(self, texts: list[str]) -> np.ndarray:
            calls.append(len(texts))
            return model.encode(texts)

    counting = Counting()
    first = VectorCache(counting, tmp_path).vectors(
        ["photos need approval", "passwords change every 60 days"]
    )
    again = VectorCache(counting, tmp_path).vectors(
        ["photos need approval", "passwords change every 60 days"]
    )
    assert calls == [2] and np.array_equal(first, again)  # a restart reads them from disk
    VectorCache(counting, tmp_path).vectors(["photos need approval", "passwords change every 90 days"])
    assert calls == [2, 1]  # an edited clause is the only one encoded again


def test_a_lead_in_clause_is_found_by_an_item_and_shown_with_its_items(fused: Searcher) -> None:
    lead = next(c for c in fused.clauses if c.key == "taber-adm-7-procedure#1.07(b)")
    assert lead.text.endswith(":") and any("Financial information" in item for item in lead.items)
    _text, blocks = answer_message(fused.search("Taber: is our budget information confidential?", k=3), 1)
    body = json.dumps(blocks)
    assert "Taber 1.07(b)" in body and "Financial information" in body


def test_the_best_sentence_is_bold_and_the_clause_verbatim() -> None:
    clause = SearchClause(
        "taber-adm-7",
        "Taber",
        "1.09(d)",
        "Personal use",
        "Pictures are discouraged. Never during emergencies.",
    )
    _text, blocks = answer_message_of(Hit(clause, 1.0, 1.0, sentence="Never during emergencies."))
    section = blocks[1]["text"]["text"]
    assert "*Taber 1.09(d)*" in section
    assert ">Pictures are discouraged. *Never during emergencies.*" in section


def answer_message_of(hit: Hit) -> tuple[str, list]:
    from bot.policy.search import Answer

    return answer_message(Answer("q", [hit], True), 1)
