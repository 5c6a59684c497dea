"""Independent numpy reference of Google BERT's forward pass (inference mode).

No TensorFlow, no Keras: plain float64 numpy written from the BERT paper and
Google's ``modeling.py`` semantics, so tests can compare the Keras model (and
checkpoint converters) against something that shares none of their code.

Numerics: exact GELU ``0.5 * x * (1 + erf(x / sqrt(2)))``, LayerNorm epsilon
1e-12 (biased variance), additive -10000 on padded keys, softmax, scores scaled
by ``1 / sqrt(head_size)``, pooler ``tanh(dense(first token))``. Dropout is
off (inference).

Optionally (``retention_configuration``) it also applies PoWER-BERT's hard
word-vector extraction (DESIGN.md items 1-3) so the Extract layer can be
checked against it.
"""
from __future__ import annotations

import math
from typing import Dict, List, Mapping, Optional, Sequence

import numpy as np
from scipy.special import erf

LAYER_NORM_EPSILON = 1e-12
MASK_ADDER = -10000.0

__all__ = ["bert_forward", "gelu", "layer_norm", "softmax", "significance"]


def gelu(x: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU."""
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
               epsilon: float = LAYER_NORM_EPSILON) -> np.ndarray:
    """LayerNorm over the last axis with biased variance."""
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + epsilon) * gamma + beta


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax."""
    z = x - x.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def significance(probs: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """PoWER-BERT significance score of every key position.

    Attention received by word w from the other real words of its example:
    probabilities averaged over heads, summed over real (mask = 1) query rows,
    excluding the diagonal (w's attention to itself).

    Args:
        probs: attention probabilities [B, heads, N, N] (query, key).
        mask: [B, N], 1 for real words, 0 for padding.

    Returns:
        [B, N] scores.
    """
    mean = probs.mean(axis=1)  # [B, N(query), N(key)]
    n = mean.shape[-1]
    mean = mean * (1.0 - np.eye(n))[None]  # drop self-attention
    mean = mean * mask[:, :, None]  # only real query rows
    return mean.sum(axis=1)  # [B, N]


def _dense(x: np.ndarray, v: Mapping[str, np.ndarray], name: str) -> np.ndarray:
    return x @ v[name + "/kernel"] + v[name + "/bias"]


def _get(variables: Mapping[str, np.ndarray]) -> Dict[str, np.ndarray]:
    return {k: np.asarray(a, dtype=np.float64) for k, a in variables.items()}


def bert_forward(variables: Mapping[str, np.ndarray], bert_config: Mapping,
                 token_ids, segment_ids, mask,
                 retention_configuration: Optional[Sequence[int]] = None) -> Dict:
    """Run Google BERT (and optionally PoWER-BERT extraction) in float64 numpy.

    Args:
        variables: Google-named arrays (``bert/embeddings/word_embeddings``, ...,
            ``bert/pooler/dense/kernel``). Without the pooler, ``pooled_output``
            is ``None``.
        bert_config: dict with hidden_size, num_hidden_layers,
            num_attention_heads (head count and sizes are read from it).
        token_ids: int [B, L].
        segment_ids: int [B, L].
        mask: [B, L], 1 real / 0 padding.
        retention_configuration: optional l_1..l_J (one per encoder). Encoder j
            then keeps position 0 plus the l_j - 1 most significant other
            positions (ties: lower position first), in their original order,
            after its attention sub-layer and before its feed-forward.

    Returns:
        dict with
          ``sequence_output`` [B, L_J, H] (L_J = L without extraction),
          ``pooled_output`` [B, H] or None,
          ``attention_probs`` list per layer of [B, heads, N_in, N_in],
          ``layer_outputs`` list per layer of [B, l_j, H],
          ``embedding_output`` [B, L, H],
          ``kept_positions`` list per layer of int [B, l_j]: original (input)
          positions of the vectors each encoder passes on.

    Raises:
        KeyError: a variable is missing.
        ValueError: inconsistent shapes or configuration.
    """
    v = _get(variables)
    token_ids = np.asarray(token_ids)
    segment_ids = np.asarray(segment_ids)
    mask = np.asarray(mask, dtype=np.float64)
    if token_ids.ndim != 2 or token_ids.shape != segment_ids.shape or token_ids.shape != mask.shape:
        raise ValueError("token_ids, segment_ids and mask must all be [B, L]; got %s, %s, %s"
                         % (token_ids.shape, segment_ids.shape, mask.shape))
    batch, length = token_ids.shape
    hidden = int(bert_config["hidden_size"])
    heads = int(bert_config["num_attention_heads"])
    layers = int(bert_config["num_hidden_layers"])
    if hidden % heads:
        raise ValueError("The hidden size (%d) is not a multiple of the number of attention "
                         "heads (%d)" % (hidden, heads))
    head_size = hidden // heads
    if retention_configuration is not None:
        retention_configuration = [int(x) for x in retention_configuration]
        if len(retention_configuration) != layers:
            raise ValueError("retention configuration has %d entries, the model %d layers"
                             % (len(retention_configuration), layers))

    # Embeddings.
    x = (v["bert/embeddings/word_embeddings"][token_ids]
         + v["bert/embeddings/token_type_embeddings"][segment_ids]
         + v["bert/embeddings/position_embeddings"][:length][None])  # [B, L, H]
    x = layer_norm(x, v["bert/embeddings/LayerNorm/gamma"], v["bert/embeddings/LayerNorm/beta"])
    embedding_output = x
    positions = np.tile(np.arange(length), (batch, 1))  # [B, N]

    all_probs: List[np.ndarray] = []
    layer_outputs: List[np.ndarray] = []
    kept_positions: List[np.ndarray] = []
    for i in range(layers):
        p = "bert/encoder/layer_%d/" % i
        n = x.shape[1]

        def split_heads(t: np.ndarray) -> np.ndarray:
            return t.reshape(batch, n, heads, head_size).transpose(0, 2, 1, 3)  # [B, N, F, T]->[B, F, N, T]

        q = split_heads(_dense(x, v, p + "attention/self/query"))  # [B, F, N, T]
        k = split_heads(_dense(x, v, p + "attention/self/key"))  # [B, F, N, T]
        val = split_heads(_dense(x, v, p + "attention/self/value"))  # [B, F, N, T]
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(head_size)  # [B, F, N, N]
        scores = scores + (1.0 - mask)[:, None, None, :] * MASK_ADDER
        probs = softmax(scores, axis=-1)  # [B, F, N, N]
        context = (probs @ val).transpose(0, 2, 1, 3).reshape(batch, n, hidden)  # [B, N, H]
        attn = _dense(context, v, p + "attention/output/dense")
        attn = layer_norm(attn + x, v[p + "attention/output/LayerNorm/gamma"],
                          v[p + "attention/output/LayerNorm/beta"])  # [B, N, H]
        all_probs.append(probs)

        if retention_configuration is not None:
            keep = retention_configuration[i]
            if not 1 <= keep <= n:
                raise ValueError("layer %d cannot keep %d of %d vectors" % (i + 1, keep, n))
            sig = significance(probs, mask)  # [B, N]
            idx = np.empty((batch, keep), dtype=np.int64)
            for b in range(batch):
                rest = np.arange(1, n)
                order = rest[np.argsort(-sig[b, 1:], kind="stable")]
                idx[b] = np.sort(np.concatenate([[0], order[:keep - 1]]))
            attn = np.take_along_axis(attn, idx[:, :, None], axis=1)  # [B, l_j, H]
            mask = np.take_along_axis(mask, idx, axis=1)  # [B, l_j]
            positions = np.take_along_axis(positions, idx, axis=1)  # [B, l_j]

        inter = gelu(_dense(attn, v, p + "intermediate/dense"))  # [B, l_j, I]
        out = _dense(inter, v, p + "output/dense")  # [B, l_j, H]
        x = layer_norm(out + attn, v[p + "output/LayerNorm/gamma"], v[p + "output/LayerNorm/beta"])
        layer_outputs.append(x)
        kept_positions.append(positions.copy())

    pooled = None
    if "bert/pooler/dense/kernel" in v:
        pooled = np.tanh(_dense(x[:, 0], v, "bert/pooler/dense"))  # [B, H]
    return {
        "sequence_output": x,
        "pooled_output": pooled,
        "attention_probs": all_probs,
        "layer_outputs": layer_outputs,
        "embedding_output": embedding_output,
        "kept_positions": kept_positions,
    }
