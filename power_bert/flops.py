"""Analytic cost of the encoder stack with and without word-vector elimination.

Counts multiply-accumulates (MACs) of the matrix products of the BERT encoders
for ONE example; embeddings, pooler, classifier, softmax, LayerNorm, GELU,
biases and the extraction itself are not counted (they are lower order).

Encoder j (1-based) receives n_in = l_{j-1} vectors (l_0 = seq_len). Its
extraction layer sits after the attention sub-layer (after the attention output
dense and its Add & LayerNorm) and before the feed-forward, and passes on l_j
vectors (DESIGN.md item 1). So, with H = hidden_size and I = intermediate_size:

=========================  ===================
Q, K, V projections        3 * n_in * H * H
attention scores Q K^T     n_in * n_in * H
probabilities x values     n_in * n_in * H
attention output dense     n_in * H * H
feed-forward (2 denses)    l_j * H * I + l_j * I * H
=========================  ===================

Without elimination l_j = n_in = seq_len for every encoder.

Over a data set cut into batches (``model_cost``), batch b of n_b examples fed as
inputs of T_b tokens costs n_b * MACs(T_b, min(l_j, T_b)): Extract keeps at most the
vectors there are (``capped_retention``). With fixed padding T_b = N for every batch.
"""
from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Sequence, Union

from power_bert.retention import _is_integral, validate_retention_configuration

__all__ = ["validate_retention_configuration", "encoder_macs", "ideal_speedup",
           "word_vectors_processed", "capped_retention", "model_cost"]

RetentionLike = Union[Sequence[int], str, None]


def encoder_macs(bert_config: Mapping, seq_len: int,
                 retention_configuration: RetentionLike = None) -> Dict:
    """Multiply-accumulates of the encoder stack for one example.

    Args:
        bert_config: dict with hidden_size, intermediate_size, num_hidden_layers.
        seq_len: input length N (l_0).
        retention_configuration: l_1..l_J, or None for no elimination.

    Returns:
        dict with ``per_layer``: list (encoder 1..J) of dicts with keys
        ``layer`` (1-based), ``n_in``, ``n_out`` (= l_j), ``qkv``,
        ``attention_scores``, ``attention_values``, ``attention_output``,
        ``feed_forward``, ``total``; and ``total`` (int, sum over encoders),
        ``seq_len``, ``retention_configuration`` (tuple, seq_len repeated
        when None).

    Raises:
        ValueError: invalid retention configuration, or seq_len not a positive
            integer or above max_position_embeddings (when the config has it).
    """
    h = int(bert_config["hidden_size"])
    i_size = int(bert_config["intermediate_size"])
    layers = int(bert_config["num_hidden_layers"])
    max_pos = bert_config.get("max_position_embeddings")
    if max_pos is not None and _is_integral(seq_len) and int(seq_len) > int(max_pos):
        raise ValueError("seq_len %d exceeds max_position_embeddings %d"
                         % (int(seq_len), int(max_pos)))
    if retention_configuration is None:
        validate_retention_configuration([seq_len] * layers, seq_len, layers)
        config = tuple([int(seq_len)] * layers)
    else:
        config = validate_retention_configuration(retention_configuration, seq_len, layers)
    per_layer: List[Dict[str, int]] = []
    n_in = int(seq_len)
    for j, keep in enumerate(config, start=1):
        row = {
            "layer": j,
            "n_in": n_in,
            "n_out": keep,
            "qkv": 3 * n_in * h * h,
            "attention_scores": n_in * n_in * h,
            "attention_values": n_in * n_in * h,
            "attention_output": n_in * h * h,
            "feed_forward": keep * h * i_size + keep * i_size * h,
        }
        row["total"] = (row["qkv"] + row["attention_scores"] + row["attention_values"]
                        + row["attention_output"] + row["feed_forward"])
        per_layer.append(row)
        n_in = keep
    return {"per_layer": per_layer, "total": sum(r["total"] for r in per_layer),
            "seq_len": int(seq_len), "retention_configuration": config}


def ideal_speedup(bert_config: Mapping, seq_len: int,
                  retention_configuration: RetentionLike) -> float:
    """Encoder MACs without elimination divided by MACs with it.

    This is the compute-bound ideal; measured wall-clock speed-ups are lower
    (embeddings, head, memory traffic and extraction overheads are ignored).

    Args:
        bert_config: dict with hidden_size, intermediate_size, num_hidden_layers.
        seq_len: input length N.
        retention_configuration: l_1..l_J (None gives 1.0).

    Returns:
        The ratio (>= 1 for a valid configuration).

    Raises:
        ValueError: invalid retention configuration or seq_len.
    """
    base = encoder_macs(bert_config, seq_len, None)["total"]
    pruned = encoder_macs(bert_config, seq_len, retention_configuration)["total"]
    return base / pruned


def word_vectors_processed(seq_len: int, retention_configuration: Union[Sequence[int], str],
                           num_hidden_layers: Optional[int] = None) -> int:
    """Total number of word vectors that reach the encoders' feed-forward networks.

    Definition: for encoder j this counts the l_j vectors that pass its
    extraction layer and enter its feed-forward sub-layer; the result is
    sum_j l_j. (The attention sub-layer of encoder j sees l_{j-1} vectors; those
    are not what is counted here.) Without elimination it is
    num_hidden_layers * seq_len, i.e. pass ``[seq_len] * num_hidden_layers``.

    Args:
        seq_len: input length N (bounds every l_j).
        retention_configuration: l_1..l_J.
        num_hidden_layers: when given, the configuration must have that length.

    Returns:
        sum_j l_j.

    Raises:
        ValueError: invalid retention configuration.
    """
    return int(sum(validate_retention_configuration(retention_configuration, seq_len,
                                                    num_hidden_layers)))


def capped_retention(retention_configuration: Optional[Sequence[int]], length: int,
                     num_hidden_layers: int) -> List[int]:
    """The vectors each encoder keeps for inputs of ``length`` tokens.

    Args:
        retention_configuration: l_1..l_J the model applies, or None (no elimination).
        length: input length T (a batch's length with dynamic padding).
        num_hidden_layers: J, the number of encoders.

    Returns:
        min(l_j, T) per encoder, or T for every encoder without elimination.
    """
    if retention_configuration is None:
        return [int(length)] * int(num_hidden_layers)
    return [min(int(keep), int(length)) for keep in retention_configuration]


def model_cost(bert_config: Mapping, retention_configuration: Optional[Sequence[int]],
               lengths: Sequence[int], sizes: Sequence[int]) -> Dict:
    """Word vectors and encoder MACs per example over batches of the given lengths.

    Args:
        bert_config: dict with hidden_size, intermediate_size, num_hidden_layers (a
            ``BertConfig`` is also accepted).
        retention_configuration: l_1..l_J the model applies, or None.
        lengths: input length T_b of every batch.
        sizes: examples n_b of every batch.

    Returns:
        {"word_vectors_per_example": float (sum_b n_b * sum_j min(l_j, T_b) / sum_b n_b),
        "encoder_macs_total": int (all examples), "encoder_macs_per_example": float}.

    Raises:
        ValueError: no examples, lengths and sizes of different lengths, or an invalid
            length or retention configuration.
    """
    if hasattr(bert_config, "to_dict"):
        bert_config = bert_config.to_dict()
    if len(lengths) != len(sizes):
        raise ValueError("%d batch lengths but %d batch sizes" % (len(lengths), len(sizes)))
    count = sum(int(size) for size in sizes)
    if count < 1:
        raise ValueError("model_cost needs at least one example")
    layers = int(bert_config["num_hidden_layers"])
    vectors, macs = 0, 0
    for length, size in zip(lengths, sizes):
        kept = capped_retention(retention_configuration, length, layers)
        vectors += int(size) * word_vectors_processed(length, kept)
        macs += int(size) * encoder_macs(bert_config, length, kept)["total"]
    return {"word_vectors_per_example": vectors / float(count),
            "encoder_macs_total": int(macs),
            "encoder_macs_per_example": macs / float(count)}
