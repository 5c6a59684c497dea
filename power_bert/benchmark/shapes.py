"""Timing at a model's shape, without a checkpoint: ``power-bert benchmark --BERT_CONFIG_PATH``.

  power-bert benchmark --BERT_CONFIG_PATH bert_config.json \
      --RETENTION_CONFIG 153,125,111,105,85,80,72,48,35,27,22,5 --SEQ_LEN 256 \
      --NUM_EXAMPLES 256 --LENGTHS 64-256 --BATCH_SIZE 128 --PADDING both

BERT (no elimination) and PoWER-BERT (Extract layers keeping l_1..l_L vectors) are
built with the sizes of ``bert_config.json`` and random weights (seeded), and time the
same synthetic token ids: ``--NUM_EXAMPLES`` examples whose real lengths are either all
``--SEQ_LEN`` (``--LENGTHS full``) or drawn uniformly from ``MIN-MAX`` (seeded), the
rest padded with id 0. Timing, warm-up and interleaving are those of the checkpoint
benchmark (``timing.time_models``); the ideal speed-up is the ratio of encoder
multiply-accumulates (``flops.model_cost``) over the same batches.

Timing only: the weights are random, so there is no metric and the predictions mean
nothing. Which words an Extract layer keeps depends on the weights, but how many it
keeps does not, so the work per batch is that of a trained model of the same shape.

This module holds what is timed (``ShapeOptions``, ``synthetic_inputs``,
``build_models``); the flags are parsed in ``commands/benchmark.py`` and the timing is
the engine's (``engine.shape_benchmark``).
"""
import dataclasses
from typing import List, Optional, Tuple

import numpy as np

from power_bert.benchmark.report import BASELINE, POWER

TIMING_ONLY = "timing only, random weights"
DEFAULT_NUM_EXAMPLES = 256


@dataclasses.dataclass(frozen=True)
class ShapeOptions:
    """The shape benchmark's own flags, checked.

    Attributes:
      config_path: bert_config.json.
      config: its ``BertConfig``.
      retention_configuration: l_1..l_L of the PoWER-BERT model.
      seq_len: N.
      num_examples: synthetic examples.
      lengths: None (every example N tokens) or (MIN, MAX), uniform.
      seed: seed of the weights, ids and lengths.
    """
    config_path: str
    config: object
    retention_configuration: Tuple[int, ...]
    seq_len: int
    num_examples: int = DEFAULT_NUM_EXAMPLES
    lengths: Optional[Tuple[int, int]] = None
    seed: int = 0

    @property
    def lengths_text(self) -> str:
        return "full" if self.lengths is None else "%d-%d" % self.lengths


def synthetic_inputs(num_examples: int, seq_len: int, lengths: Optional[Tuple[int, int]],
                     vocab_size: int, seed: int) -> List[np.ndarray]:
    """``[token_ids, segment_ids]``, int32 ``[num_examples, seq_len]``: random word-piece
    ids (never 0, the padding id) over each example's real length, 0 after it; segment 1
    on the second half of the real tokens.

    Raises:
      ValueError: a vocabulary with fewer than 2 entries.
    """
    if vocab_size < 2:
        raise ValueError("the vocabulary needs at least 2 entries, got %d" % vocab_size)
    rng = np.random.RandomState(seed)
    if lengths is None:
        real = np.full(num_examples, seq_len, dtype=np.int64)
    else:
        real = rng.randint(lengths[0], lengths[1] + 1, size=num_examples)
    ids = rng.randint(1, vocab_size, size=(num_examples, seq_len))
    positions = np.arange(seq_len)[None, :]  # [1, N]
    inside = positions < real[:, None]  # [n, N]
    tokens = np.where(inside, ids, 0).astype(np.int32)
    segments = (inside & (positions >= (real[:, None] + 1) // 2)).astype(np.int32)
    return [tokens, segments]


def build_models(shape: ShapeOptions, dynamic: bool):
    """(name, random-weight model) of BERT and PoWER-BERT for one padding mode; both draw
    their weights from the same seed, so they are the same BERT."""
    from power_bert.backend import keras
    from power_bert.model import build_model
    keras.backend.clear_session()
    seq_len = None if dynamic else shape.seq_len
    models = []
    for name, mode, retention in ((BASELINE, "finetune", None),
                                  (POWER, "retrain", list(shape.retention_configuration))):
        keras.utils.set_random_seed(shape.seed)
        models.append((name, build_model(shape.config, 2, seq_len, mode=mode,
                                         retention_configuration=retention,
                                         max_len=shape.seq_len, name=name)))
    return models


__all__ = ["TIMING_ONLY", "DEFAULT_NUM_EXAMPLES", "ShapeOptions", "synthetic_inputs",
           "build_models"]
