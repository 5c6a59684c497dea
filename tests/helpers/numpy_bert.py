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
checked against it; ``extract_positions`` and ``soft_extract`` are the same
Extract and Soft-Extract (item 4) on their own, for the layer tests.

Shapes: B = batch, T = words alive in an encoder (F = T as queries), N = heads,
D = head size, H = hidden size = N * D, I = intermediate size, K = words kept.
"""
from __future__ import annotations

import math
from typing import Dict, List, Mapping, Optional, Sequence

import numpy as np
from scipy.special import erf

LAYER_NORM_EPSILON = 1e-12
MASK_ADDER = -10000.0

__all__ = ["bert_forward", "extract_positions", "gelu", "layer_norm", "significance",
           "significance_ranks", "soft_extract", "softmax"]


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
        probs: attention probabilities [B, N, F, T] (query, key).
        mask: [B, T], 1 for real words, 0 for padding.

    Returns:
        [B, T] scores (padding words get the attention they receive, 0 when their
        keys are masked; ``significance_ranks`` puts them last in any case).
    """
    mean = probs.mean(axis=1)  # [B, F, T]
    t = mean.shape[-1]
    mean = mean * (1.0 - np.eye(t))[None]  # drop self-attention
    mean = mean * mask[:, :, None]  # only real query rows
    return mean.sum(axis=1)  # [B, T]


def significance_ranks(probs: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Rank of every word by significance: 0 = most significant.

    Real words by descending score, then padding words; ties go to the lower
    position. [CLS] is ranked like any other word (Soft-Extract, DESIGN.md item 4).

    Args:
        probs: attention probabilities [B, N, T, T].
        mask: [B, T], 1 for real words, 0 for padding.

    Returns:
        int [B, T]: ranks[b, t] is the rank of position t.
    """
    scores = significance(probs, mask)  # [B, T]
    batch, t = scores.shape
    ranks = np.empty((batch, t), dtype=np.int64)
    for b in range(batch):
        # lexsort: last key first; padding (mask 0) after real words, then by score.
        order = np.lexsort((np.arange(t), -scores[b], -np.asarray(mask[b])))  # [T]
        ranks[b, order] = np.arange(t)
    return ranks


def extract_positions(probs: np.ndarray, mask: np.ndarray, keep: int) -> np.ndarray:
    """Positions hard Extract keeps (DESIGN.md item 3).

    Position 0 ([CLS]) always, then the ``keep - 1`` best-ranked other words (as
    ``significance_ranks``: real words by descending score, padding last, ties to
    the lower position), returned in left-to-right order. ``keep`` above T keeps
    all T.

    Args:
        probs: attention probabilities [B, N, T, T].
        mask: [B, T].
        keep: l_j >= 1.

    Returns:
        int [B, K] with K = min(keep, T), increasing along each row.
    """
    if keep < 1:
        raise ValueError("Extract keeps at least 1 word, got %d" % keep)
    ranks = significance_ranks(probs, mask)  # [B, T]
    batch, t = ranks.shape
    keep = min(int(keep), t)
    kept = np.empty((batch, keep), dtype=np.int64)
    for b in range(batch):
        rest = np.argsort(ranks[b, 1:], kind="stable") + 1  # positions 1.. by rank
        kept[b] = np.sort(np.concatenate([[0], rest[:keep - 1]]))
    return kept


def soft_extract(x: np.ndarray, probs: np.ndarray, mask: np.ndarray,
                 retention: np.ndarray) -> np.ndarray:
    """Soft-Extract (DESIGN.md item 4): the word of rank k is multiplied by r[k].

    Args:
        x: [B, T, H].
        probs: attention probabilities [B, N, T, T].
        mask: [B, T].
        retention: r, [max_len] with max_len >= T.

    Returns:
        [B, T, H].
    """
    ranks = significance_ranks(probs, mask)  # [B, T]
    return x * np.asarray(retention, dtype=np.float64)[ranks][:, :, None]


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
        token_ids: int [B, L] (L = input length).
        segment_ids: int [B, L].
        mask: [B, L], 1 real / 0 padding.
        retention_configuration: optional l_1..l_J (one per encoder). Encoder j
            then keeps what ``extract_positions`` picks (position 0 plus the
            l_j - 1 most significant other positions, ties: lower position
            first), in their original order, after its attention sub-layer and
            before its feed-forward.

    Returns:
        dict with
          ``sequence_output`` [B, T_J, H] (T_J = l_J, or L without extraction),
          ``pooled_output`` [B, H] or None,
          ``attention_probs`` list per encoder j of [B, N, T, T], T = the words
          entering encoder j (L for the first),
          ``layer_outputs`` list per encoder j of [B, l_j, H],
          ``embedding_output`` [B, L, H],
          ``kept_positions`` list per encoder j of int [B, l_j]: original (input)
          positions of the vectors encoder j passes on.

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
    positions = np.tile(np.arange(length), (batch, 1))  # [B, L]

    all_probs: List[np.ndarray] = []
    layer_outputs: List[np.ndarray] = []
    kept_positions: List[np.ndarray] = []
    for i in range(layers):
        p = "bert/encoder/layer_%d/" % i
        t = x.shape[1]  # words entering this encoder

        def split_heads(y: np.ndarray) -> np.ndarray:
            # [B, T, H] -> [B, T, N, D] -> [B, N, T, D]
            return y.reshape(batch, t, heads, head_size).transpose(0, 2, 1, 3)

        q = split_heads(_dense(x, v, p + "attention/self/query"))  # [B, N, F, D]
        k = split_heads(_dense(x, v, p + "attention/self/key"))  # [B, N, T, D]
        val = split_heads(_dense(x, v, p + "attention/self/value"))  # [B, N, T, D]
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(head_size)  # [B, N, F, T]
        scores = scores + (1.0 - mask)[:, None, None, :] * MASK_ADDER
        probs = softmax(scores, axis=-1)  # [B, N, F, T]
        context = (probs @ val).transpose(0, 2, 1, 3).reshape(batch, t, hidden)  # [B, F, H]
        attn = _dense(context, v, p + "attention/output/dense")  # [B, T, H]
        attn = layer_norm(attn + x, v[p + "attention/output/LayerNorm/gamma"],
                          v[p + "attention/output/LayerNorm/beta"])  # [B, T, H]
        all_probs.append(probs)

        if retention_configuration is not None:
            keep = retention_configuration[i]
            if not 1 <= keep <= t:
                raise ValueError("layer %d cannot keep %d of %d vectors" % (i + 1, keep, t))
            idx = extract_positions(probs, mask, keep)  # [B, l_j]
            attn = np.take_along_axis(attn, idx[:, :, None], axis=1)  # [B, l_j, H]
            mask = np.take_along_axis(mask, idx, axis=1)  # [B, l_j]
            positions = np.take_along_axis(positions, idx, axis=1)  # [B, l_j]

        inter = gelu(_dense(attn, v, p + "intermediate/dense"))  # [B, l_j, I]
        out = _dense(inter, v, p + "output/dense")  # [B, l_j, H]
        x = layer_norm(out + attn, v[p + "output/LayerNorm/gamma"], v[p + "output/LayerNorm/beta"])
        layer_outputs.append(x)  # [B, l_j, H]
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
