"""BERT configuration: the only source of layer counts, head counts and sizes.

This module is the bottom of the house: it imports only the standard library, numpy
and :mod:`power_bert.errors`. Every ``bert_config.json`` (Google's file, a converted
one, the metadata of a stage checkpoint) and every configuration dictionary is read
and checked here, by :class:`BertConfig`; errors name the file and the key.

Example:
  config = BertConfig.from_json_file("uncased_L-12_H-768_A-12/bert_config.json")
  config.num_hidden_layers, config.head_size   # 12, 64
"""
import dataclasses
import json
import math
import os
from typing import Any, Dict, Mapping, Optional, Tuple, Union

import numpy as np

from power_bert.errors import ConfigError
from power_bert.outputs import write_json_atomically

__all__ = ["BertConfig", "ConfigError", "REQUIRED_CONFIG_KEYS", "CONFIG_DEFAULTS",
           "CONFIG_KEYS", "write_bert_config"]

#: Keys a ``bert_config.json`` (or a dictionary given to ``BertConfig.from_dict``) must
#: have: they fix the architecture.
REQUIRED_CONFIG_KEYS: Tuple[str, ...] = (
    "vocab_size",
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "intermediate_size",
    "max_position_embeddings",
    "type_vocab_size",
    "hidden_act",
)

#: Keys Google's files always carry but that change neither the weights' shapes nor
#: the inference numerics; when absent, Google's ``BertConfig`` defaults are used.
CONFIG_DEFAULTS: Dict[str, float] = {
    "hidden_dropout_prob": 0.1,
    "attention_probs_dropout_prob": 0.1,
    "initializer_range": 0.02,
}

_INT_KEYS = tuple(k for k in REQUIRED_CONFIG_KEYS if k != "hidden_act")
_PROBABILITY_KEYS = ("hidden_dropout_prob", "attention_probs_dropout_prob")
_SUPPORTED_ACTIVATIONS = ("gelu",)


def _where(source: Optional[str]) -> str:
    return " in %s" % source if source else ""


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_real(value) -> bool:
    return (isinstance(value, (int, float, np.integer, np.floating))
            and not isinstance(value, (bool, np.bool_)))


def _checked(values: Mapping[str, Any], source: Optional[str]) -> Dict[str, Any]:
    """Checks the values of BertConfig's fields; returns them as plain Python values.

    Args:
      values: field name -> value; absent optional fields are not checked.
      source: the file the values came from, named in messages.

    Raises:
      ConfigError: naming ``source`` and the key.
    """
    where = _where(source)
    out: Dict[str, Any] = {}
    for key in _INT_KEYS:
        if key not in values:
            continue
        value = values[key]
        if not _is_int(value) or value < 1:
            raise ConfigError("bert_config%s: %r must be a positive integer, got %r"
                              % (where, key, value))
        out[key] = int(value)
    for key in CONFIG_DEFAULTS:
        if key not in values:
            continue
        value = values[key]
        if not _is_real(value) or not math.isfinite(float(value)):
            raise ConfigError("bert_config%s: %r must be a number, got %r" % (where, key, value))
        value = float(value)
        if key in _PROBABILITY_KEYS and not 0.0 <= value < 1.0:
            raise ConfigError("bert_config%s: %r is a dropout probability and must be in "
                              "[0, 1), got %r" % (where, key, value))
        if key == "initializer_range" and value <= 0.0:
            raise ConfigError("bert_config%s: 'initializer_range' (stddev of new weights) "
                              "must be positive, got %r" % (where, value))
        out[key] = value
    if "hidden_act" in values:
        act = values["hidden_act"]
        if not isinstance(act, str):
            raise ConfigError("bert_config%s: 'hidden_act' must be a string, got %r"
                              % (where, act))
        if act not in _SUPPORTED_ACTIVATIONS:
            raise ConfigError(
                "hidden_act %r%s is not supported: PoWER-BERT uses Google BERT's exact (erf) "
                "GELU, hidden_act \"gelu\"" % (act, where))
        out["hidden_act"] = act
    if "hidden_size" in out and "num_attention_heads" in out:
        hidden, heads = out["hidden_size"], out["num_attention_heads"]
        if hidden % heads != 0:
            raise ConfigError(
                "The hidden size (%d) is not a multiple of the number of attention heads (%d)%s"
                % (hidden, heads, where))
    return out


@dataclasses.dataclass(frozen=True)
class BertConfig:
    """Sizes of a BERT model, as in Google's ``bert_config.json``.

    Built directly, the fields are checked as by ``from_dict`` (fields without a
    value take the defaults below).

    Attributes:
      vocab_size: V, rows of the word-piece embedding table.
      hidden_size: H, width of every word vector.
      num_hidden_layers: L, number of encoders.
      num_attention_heads: N, heads per self-attention; H must be a multiple of N.
      intermediate_size: I, width of the feed-forward hidden layer.
      hidden_act: activation of the feed-forward network; only "gelu" (exact, erf
        form, as Google BERT) is supported.
      hidden_dropout_prob: dropout on embeddings and sub-layer outputs, in [0, 1).
      attention_probs_dropout_prob: dropout on attention probabilities, in [0, 1).
      max_position_embeddings: P, rows of the position embedding table.
      type_vocab_size: number of segment ids.
      initializer_range: stddev of the truncated normal used for new weights (> 0).
    """
    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = CONFIG_DEFAULTS["hidden_dropout_prob"]
    attention_probs_dropout_prob: float = CONFIG_DEFAULTS["attention_probs_dropout_prob"]
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    initializer_range: float = CONFIG_DEFAULTS["initializer_range"]

    def __post_init__(self):
        # Checks the values and stores them as plain int/float (numpy scalars allowed in).
        for key, value in _checked(dataclasses.asdict(self), None).items():
            object.__setattr__(self, key, value)

    @property
    def head_size(self) -> int:
        """H / N, the width of one attention head."""
        return self.hidden_size // self.num_attention_heads

    @classmethod
    def from_dict(cls, config: Mapping[str, Any], source: Optional[str] = None) -> "BertConfig":
        """Builds a config from a dictionary; unknown keys are ignored.

        Args:
          config: Google's ``bert_config.json`` keys. Every key of
            ``REQUIRED_CONFIG_KEYS`` must be present; absent keys of
            ``CONFIG_DEFAULTS`` take Google's defaults.
          source: the file the dictionary came from, named in messages.

        Raises:
          ConfigError: not a dictionary, a required key is missing, or a value is
            invalid; the message names ``source`` and the key.
        """
        where = _where(source)
        if not isinstance(config, Mapping):
            raise ConfigError("bert_config%s must be a JSON object (dict), got %s"
                              % (where, type(config).__name__))
        missing = [k for k in REQUIRED_CONFIG_KEYS if k not in config]
        if missing:
            raise ConfigError(
                "bert_config%s is missing the required key%s %s (a Google bert_config.json "
                "has %s)" % (where, "s" if len(missing) > 1 else "",
                             ", ".join(repr(k) for k in missing),
                             ", ".join(REQUIRED_CONFIG_KEYS)))
        values = {key: config[key] for key in CONFIG_KEYS if key in config}
        return cls(**_checked(values, source))

    @classmethod
    def from_json_file(cls, path: Union[str, "os.PathLike[str]"]) -> "BertConfig":
        """Reads Google's ``bert_config.json``.

        Raises:
          ConfigError: naming the file: it is missing, a folder, unreadable, not
            UTF-8 JSON, or not a valid config (the key is named too).
        """
        path = os.fspath(path)
        if os.path.isdir(path):
            raise ConfigError("BERT config %s is a folder, not a bert_config.json file" % path)
        if not os.path.exists(path):
            raise ConfigError("BERT config file not found: %s" % path)
        try:
            with open(path, encoding="utf-8") as reader:
                data = json.load(reader)
        except json.JSONDecodeError as e:
            raise ConfigError("%s is not valid JSON: %s" % (path, e)) from None
        except UnicodeDecodeError as e:
            raise ConfigError("%s is not UTF-8 text (byte %d): not a bert_config.json"
                              % (path, e.start)) from None
        except OSError as e:
            raise ConfigError("cannot read BERT config %s: %s" % (path, e.strerror or e)) from None
        return cls.from_dict(data, source=path)

    def to_dict(self) -> Dict[str, Any]:
        """Google's ``bert_config.json`` keys and values (plain Python types)."""
        return dataclasses.asdict(self)


#: Every key of a ``bert_config.json`` written by this package, in Google's order.
CONFIG_KEYS: Tuple[str, ...] = tuple(f.name for f in dataclasses.fields(BertConfig))


def write_bert_config(config: Union[BertConfig, Mapping[str, Any]],
                      path: Union[str, "os.PathLike[str]"]) -> BertConfig:
    """Writes a ``bert_config.json`` (checked first; keys sorted, indented).

    Args:
      config: a BertConfig, or a dictionary with Google's keys; absent defaults are
        filled in and extra keys of a dictionary are kept.
      path: the file to write; its folder is created if needed.

    Returns:
      The config written, as a BertConfig.

    Raises:
      ConfigError: the config is incomplete or invalid (naming ``path``).
      UsageError: the file cannot be written (``outputs.write_json_atomically``).
    """
    path = os.fspath(path)
    if isinstance(config, BertConfig):
        checked, extra = config, {}
    else:
        checked = BertConfig.from_dict(config, source=path)
        extra = {k: (v.item() if isinstance(v, np.generic) else v)
                 for k, v in config.items() if k not in CONFIG_KEYS}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    write_json_atomically(path, dict(extra, **checked.to_dict()), sort_keys=True)
    return checked
