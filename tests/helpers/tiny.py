"""The one tiny BERT of the tests: its vocabulary, its configuration family and the one
builder of a Google-format checkpoint folder.

Every test model is ``tiny_config(**overrides)``: 3 layers, 2 heads, hidden 16,
intermediate 32, 64 positions, the 40-word ``TINY_VOCAB``; a test that needs another
size, vocabulary, dropout or initial scale says so in its overrides.
"""
import os
import types
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Union

import numpy as np

from power_bert import synthetic
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

TINY_CONFIG = types.MappingProxyType({
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
})

# What the end-to-end runs train: the demo task's vocabulary (power_bert.synthetic) and
# Google's initial scale, which fine-tuning starts from.
DEMO_OVERRIDES = types.MappingProxyType({
    "vocab_size": len(synthetic.vocabulary()), "initializer_range": 0.02})


def tiny_config(**overrides) -> Dict:
    """A fresh dict of Google ``bert_config.json`` keys: ``TINY_CONFIG`` with
    ``overrides`` (keys of ``TINY_CONFIG`` only)."""
    unknown = sorted(set(overrides) - set(TINY_CONFIG))
    if unknown:
        raise KeyError("not keys of TINY_CONFIG: %s" % ", ".join(unknown))
    return dict(TINY_CONFIG, **overrides)


def tiny_bert_config(**overrides) -> BertConfig:
    """``tiny_config(**overrides)`` as a ``BertConfig``."""
    return BertConfig.from_dict(tiny_config(**overrides))


def demo_config(**overrides) -> Dict:
    """The tiny configuration of the end-to-end runs: ``DEMO_OVERRIDES``, then
    ``overrides``."""
    return tiny_config(**dict(DEMO_OVERRIDES, **overrides))


def write_vocab(path: Union[str, Path], words: Iterable[str]) -> Path:
    """Write a BERT vocab.txt: [PAD] [UNK] [CLS] [SEP] [MASK] (ids 0-4), then ``words``.

    Args:
      path: file to write.
      words: further tokens in id order (duplicates and special tokens are
        dropped), e.g. ["the", "cat", "##s"].

    Returns:
      The path written.
    """
    tokens: List[str] = list(SPECIAL_TOKENS)
    for word in words:
        if word not in tokens:
            tokens.append(word)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(token + "\n" for token in tokens), encoding="utf-8")
    return path


class GoogleBert:
    """A tiny Google-format BERT folder written by ``write_tiny_bert``.

    Attributes:
      dir: the folder (a ``Path``).
      config_path: ``bert_config.json``.
      vocab_path: ``vocab.txt``, one word piece per line.
      ckpt_prefix: ``bert_model.ckpt`` (the ``.index``/``.data-*`` files exist).
      config: a fresh copy of the config dict on each access.
      variables: the checkpoint's arrays by Google name (read-only float32).
    """

    def __init__(self, folder: Path, config: Dict, variables: Dict[str, np.ndarray]):
        self.dir = Path(folder)
        self.config_path = os.path.join(folder, "bert_config.json")
        self.vocab_path = os.path.join(folder, "vocab.txt")
        self.ckpt_prefix = os.path.join(folder, "bert_model.ckpt")
        self._config = dict(config)
        self.variables = types.MappingProxyType(variables)

    @property
    def config(self) -> Dict:
        return dict(self._config)


def write_tiny_bert(folder: Union[str, Path], config: Dict,
                    words: Optional[Sequence[str]] = None, seed: int = 0,
                    drop: Iterable[str] = ()) -> GoogleBert:
    """Writes Google's three files of a BERT into ``folder`` (made if missing).

    Args:
      config: the ``bert_config.json`` keys (``tiny_config``/``demo_config``).
      words: the lines of ``vocab.txt``; ``TINY_VOCAB`` by default. More words than
        ``config["vocab_size"]`` give a vocabulary longer than the embedding table.
      seed: of ``random_bert_variables`` (pooler included).
      drop: Google variable names left out of the checkpoint.

    Returns:
      The folder as a ``GoogleBert`` (its variables made read-only).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    variables = random_bert_variables(config, seed=seed)
    for name in drop:
        variables.pop(name)
    for value in variables.values():
        value.setflags(write=False)
    bert = GoogleBert(folder, config, dict(variables))
    write_vocab(bert.vocab_path, TINY_VOCAB if words is None else words)
    write_bert_config(config, bert.config_path)
    write_checkpoint(variables, bert.ckpt_prefix)
    return bert


def make_bert(folder: Path, seed: int = 0, drop: Iterable[str] = (), vocab_extra: int = 0,
              **overrides) -> Path:
    """The tiny BERT of the end-to-end runs (``demo_config(**overrides)``, the demo
    vocabulary and ``vocab_extra`` words more in ``vocab.txt``) written into ``folder``;
    returns ``folder``."""
    words = synthetic.vocabulary() + ["extra%d" % i for i in range(vocab_extra)]
    write_tiny_bert(folder, demo_config(**overrides), words, seed=seed, drop=drop)
    return folder
