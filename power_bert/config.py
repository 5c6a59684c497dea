"""BERT configuration: the only source of layer counts, head counts and sizes."""
import dataclasses
from typing import Any, Dict, Optional

from power_bert.google_ckpt import BertConfigError, read_bert_config, validate_bert_config

ConfigError = BertConfigError  # a BERT configuration file or dictionary that cannot be used


@dataclasses.dataclass(frozen=True)
class BertConfig:
    """Sizes of a BERT model, as in Google's ``bert_config.json``.

    Attributes:
      vocab_size: V, rows of the word-piece embedding table.
      hidden_size: H, width of every word vector.
      num_hidden_layers: L, number of encoders.
      num_attention_heads: N, heads per self-attention; H must be a multiple of N.
      intermediate_size: I, width of the feed-forward hidden layer.
      hidden_act: activation of the feed-forward network; only "gelu" (exact, erf
        form, as Google BERT) is supported.
      hidden_dropout_prob: dropout on embeddings and sub-layer outputs.
      attention_probs_dropout_prob: dropout on attention probabilities.
      max_position_embeddings: P, rows of the position embedding table.
      type_vocab_size: number of segment ids.
      initializer_range: stddev of the truncated normal used for new weights.
    """
    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    initializer_range: float = 0.02

    def __post_init__(self):
        validate_bert_config(self.to_dict())
        if self.hidden_act not in ("gelu",):
            raise ConfigError(
                "hidden_act %r is not supported: PoWER-BERT uses Google BERT's exact (erf) "
                "GELU, hidden_act \"gelu\"" % (self.hidden_act,))

    @property
    def head_size(self) -> int:
        return self.hidden_size // self.num_attention_heads

    @classmethod
    def from_dict(cls, config: Dict[str, Any], source: Optional[str] = None) -> "BertConfig":
        """Builds a config from a dictionary; unknown keys are ignored.

        Raises:
          ConfigError: a required key is missing or a value is invalid; the message
            names ``source`` (a file name) when given.
        """
        validate_bert_config(config, source=source)
        where = " in %s" % source if source else ""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        kwargs = {}
        for key, field in fields.items():
            if key in config:
                value = config[key]
                kwargs[key] = value if field.type in ("str", str) else (
                    int(value) if field.type in ("int", int) else float(value))
        try:
            return cls(**kwargs)
        except ConfigError as e:
            raise ConfigError("%s%s" % (e, where)) from None

    @classmethod
    def from_json_file(cls, path: str) -> "BertConfig":
        """Reads Google's ``bert_config.json``.

        Raises:
          ConfigError: the file is missing, is not JSON, or is not a valid config.
        """
        try:
            data = read_bert_config(path)
        except FileNotFoundError:
            raise ConfigError("BERT config file not found: %s" % path) from None
        return cls.from_dict(data, source=path)

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)
