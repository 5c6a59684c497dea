"""The one builder of model inputs (token and segment ids of known real lengths).

Shapes: B = batch, T = sequence length (real words then 0-padding).
"""
import dataclasses
from typing import Optional, Sequence

import numpy as np

from helpers.tiny import CLS_ID, FIRST_WORD_ID, PAD_ID, SEP_ID, TINY_VOCAB

TOKEN_BATCH_LENGTHS = (10, 7, 4, 1)  # the conftest token_batch; the longest fills T = 10


@dataclasses.dataclass(frozen=True)
class TokenBatch:
    """Model inputs of one batch.

    Attributes:
      token_ids: int32 ``[B, T]``: [CLS] first, then word ids and [SEP]s, 0 after the
        real length.
      segment_ids: int32 ``[B, T]``: 0 for the first sentence (with its [CLS] and
        [SEP]), 1 for the second, 0 on padding.
      mask: float32 ``[B, T]``: 1 on real positions, 0 on padding.
      lengths: int ``[B]``: real positions per example.
    """
    token_ids: np.ndarray
    segment_ids: np.ndarray
    mask: np.ndarray
    lengths: np.ndarray

    @property
    def inputs(self):
        """``[token_ids, segment_ids]``, what the models take."""
        return [self.token_ids, self.segment_ids]

    def padded(self, extra: int) -> "TokenBatch":
        """The same examples with ``extra`` more padding positions at the end."""
        pad = ((0, 0), (0, extra))
        return TokenBatch(np.pad(self.token_ids, pad), np.pad(self.segment_ids, pad),
                          np.pad(self.mask, pad), self.lengths.copy())


def make_inputs(lengths: Sequence[int], seq_len: Optional[int] = None, seed: int = 0,
                vocab_size: Optional[int] = None) -> TokenBatch:
    """Examples of the given real lengths, as BERT's tokenizer lays them out.

    Length 1 is ``[CLS]``, 2 is ``[CLS] [SEP]``, 3-4 one sentence ``[CLS] a.. [SEP]``,
    5 and more a pair ``[CLS] a.. [SEP] b.. [SEP]`` with segment 1 on ``b.. [SEP]``.
    Word ids are drawn from ``[FIRST_WORD_ID, vocab_size)`` (``len(TINY_VOCAB)`` by
    default) with ``seed``; ``seq_len`` is the width T (the longest length by default).
    """
    lengths = [int(n) for n in lengths]
    seq_len = max(lengths) if seq_len is None else int(seq_len)
    vocab_size = len(TINY_VOCAB) if vocab_size is None else int(vocab_size)
    if min(lengths) < 1 or max(lengths) > seq_len:
        raise ValueError("real lengths %s must be in [1, seq_len=%d]" % (lengths, seq_len))
    if vocab_size <= FIRST_WORD_ID:
        raise ValueError("vocab_size %d leaves no ids for words" % vocab_size)
    rng = np.random.default_rng(seed)
    token_ids = np.zeros((len(lengths), seq_len), np.int32)  # [B, T]
    segment_ids = np.zeros((len(lengths), seq_len), np.int32)  # [B, T]
    for b, n in enumerate(lengths):
        row = rng.integers(FIRST_WORD_ID, vocab_size, size=n)
        row[0] = CLS_ID
        if n >= 2:
            row[-1] = SEP_ID
        if n >= 5:
            first = (n - 3 + 1) // 2  # words of the first sentence
            row[1 + first] = SEP_ID
            segment_ids[b, 2 + first:n] = 1
        token_ids[b, :n] = row
    mask = (token_ids != PAD_ID).astype(np.float32)  # [B, T]
    return TokenBatch(token_ids, segment_ids, mask, np.asarray(lengths))
