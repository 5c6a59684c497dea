"""Shared test harness: one tiny BERT configuration, one token batch and one tiny
Google-format BERT folder, in the style of keras-hub's tiny test configs.

Fixtures:
  tiny_config         dict of Google ``bert_config.json`` keys (3 layers, 2 heads,
                      hidden 16, intermediate 32, 64 positions, a 40-word vocab).
  bert_config         ``power_bert.config.BertConfig`` of ``tiny_config``.
  token_batch         ``TokenBatch``: 4 examples of 10 positions, real lengths 10, 7, 4
                      and 1, [CLS]/[SEP] ids from ``TINY_VOCAB``, 0-padding.
  make_token_batch    ``make_token_batch(lengths, seq_len=None, seed=0, vocab_size=None)``
                      builds other ``TokenBatch``es the same way.
  google_bert         (session) ``GoogleBert``: a folder with bert_config.json,
                      vocab.txt and bert_model.ckpt.* of random weights for
                      ``TINY_CONFIG``.

Shapes: B = batch, T = sequence length (real words then 0-padding).
"""
import dataclasses
import json
import os
import types
from typing import Dict, Optional, Sequence

import numpy as np
import pytest

from power_bert.config import BertConfig, write_bert_config
from power_bert.google_ckpt import random_bert_variables, write_checkpoint


SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = range(len(SPECIAL_TOKENS))
WORDS = ("the", "a", "film", "story", "cast", "music", "ending", "scene", "is", "was",
         "and", "but", "of", "in", "with", "good", "great", "fine", "bad", "dull",
         "long", "short", "funny", "sad", "new", "old", "very", "too", "not", "it",
         "plot", "actor", "night", "world", "love")
TINY_VOCAB = SPECIAL_TOKENS + WORDS  # 40 word pieces; id = position in this tuple
FIRST_WORD_ID = len(SPECIAL_TOKENS)

TINY_CONFIG = {
    "vocab_size": len(TINY_VOCAB),
    "hidden_size": 16,
    "num_hidden_layers": 3,
    "num_attention_heads": 2,
    "intermediate_size": 32,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "attention_probs_dropout_prob": 0.1,
    "max_position_embeddings": 64,
    "type_vocab_size": 2,
    # Larger than Google's 0.02 so that random weights give attention far from uniform:
    # significance then ranks words clearly and eliminating them changes the outputs.
    "initializer_range": 0.2,
}
TOKEN_BATCH_LENGTHS = (10, 7, 4, 1)  # real words per example; the longest fills T = 10


@pytest.fixture
def tiny_config() -> Dict:
    """A fresh copy of ``TINY_CONFIG`` (tests may change it)."""
    return dict(TINY_CONFIG)


@pytest.fixture
def bert_config(tiny_config) -> BertConfig:
    return BertConfig.from_dict(tiny_config)


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


def _token_batch(lengths: Sequence[int], seq_len: Optional[int] = None, seed: int = 0,
                 vocab_size: Optional[int] = None) -> TokenBatch:
    """Examples of the given real lengths, as BERT's tokenizer lays them out.

    Length 1 is ``[CLS]``, 2 is ``[CLS] [SEP]``, 3-4 one sentence ``[CLS] a.. [SEP]``,
    5 and more a pair ``[CLS] a.. [SEP] b.. [SEP]`` with segment 1 on ``b.. [SEP]``.
    Word ids are drawn from ``[FIRST_WORD_ID, vocab_size)`` with ``seed``.
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


@pytest.fixture
def make_token_batch():
    """``make_token_batch(lengths, seq_len=None, seed=0, vocab_size=None) -> TokenBatch``."""
    return _token_batch


@pytest.fixture
def token_batch() -> TokenBatch:
    """Real lengths ``TOKEN_BATCH_LENGTHS`` (10, 7, 4, 1) in T = 10 positions."""
    return _token_batch(TOKEN_BATCH_LENGTHS)


class GoogleBert:
    """A tiny Google-format BERT folder (read only: tests must not change its files).

    Attributes:
      dir: the folder.
      config_path: ``bert_config.json``.
      vocab_path: ``vocab.txt``, one word piece per line (``TINY_VOCAB``).
      ckpt_prefix: ``bert_model.ckpt`` (the ``.index``/``.data-*`` files exist).
      config: a fresh copy of the config dict on each access.
      variables: the checkpoint's arrays by Google name (read-only float32).
    """

    def __init__(self, folder: str, config: Dict, variables: Dict[str, np.ndarray]):
        self.dir = folder
        self.config_path = os.path.join(folder, "bert_config.json")
        self.vocab_path = os.path.join(folder, "vocab.txt")
        self.ckpt_prefix = os.path.join(folder, "bert_model.ckpt")
        self._config = dict(config)
        self.variables = types.MappingProxyType(variables)

    @property
    def config(self) -> Dict:
        return dict(self._config)


@pytest.fixture(scope="session")
def google_bert(tmp_path_factory) -> GoogleBert:
    """``TINY_CONFIG`` written as Google's files, weights from
    ``random_bert_variables(TINY_CONFIG, seed=0)`` (pooler included)."""
    folder = str(tmp_path_factory.mktemp("google_bert"))
    variables = random_bert_variables(TINY_CONFIG, seed=0)
    for value in variables.values():
        value.setflags(write=False)
    bert = GoogleBert(folder, TINY_CONFIG, dict(variables))
    write_bert_config(TINY_CONFIG, bert.config_path)
    with open(bert.vocab_path, "w", encoding="utf-8") as f:
        f.write("".join(token + "\n" for token in TINY_VOCAB))
    write_checkpoint(variables, bert.ckpt_prefix)
    with open(bert.config_path, encoding="utf-8") as f:
        assert json.load(f) == TINY_CONFIG
    return bert


def load_benchmark_script(name: str):
    """A script of benchmarks/ (not a package) imported as a module, e.g.
    ``load_benchmark_script("results_table")``."""
    import importlib.util
    path = os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks", name + ".py")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
