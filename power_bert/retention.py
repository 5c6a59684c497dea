"""Retention configurations: one number of word vectors kept per encoder (l_1..l_L).

TensorFlow-free, so the FLOP counter and the command line can use it without a model.
"""
import math
from typing import Iterable, Optional, Sequence, Tuple, Union

import numpy as np

from power_bert.errors import RetentionConfigError

# --WORD_SELECTION: which l_j word vectors each Extract layer keeps. "attention" is
# PoWER-BERT's significance; "head" (Head-WS) and "random" (Rand-WS) are the
# input-independent strategies of the paper's ablation (layers.Extract).
WORD_SELECTIONS = ("attention", "head", "random")


def _is_integral(x) -> bool:
    if isinstance(x, (bool, np.bool_)):
        return False
    if isinstance(x, (int, np.integer)):
        return True
    return isinstance(x, (float, np.floating)) and float(x).is_integer()


def validate_retention_configuration(retention_configuration: Union[Sequence[int], str],
                                     seq_len: int,
                                     num_hidden_layers: Optional[int] = None) -> Tuple[int, ...]:
    """Check a retention configuration and return it as a tuple of ints.

    Args:
        retention_configuration: l_1..l_J, a sequence of integers or a
            comma-separated string such as ``"64,60,52"``.
        seq_len: the maximum sequence length N (l_0).
        num_hidden_layers: when given, the configuration must have exactly this
            many entries.

    Returns:
        ``(l_1, ..., l_J)``.

    Raises:
        ValueError: wrong length, an entry that is not an integer in
            [1, seq_len], or an increase (l_j > l_{j-1}); the message shows the
            configuration and the offending numbers.
    """
    if _is_integral(seq_len) and int(seq_len) >= 1:
        seq_len = int(seq_len)
    else:
        raise RetentionConfigError("seq_len must be a positive integer, got %r" % (seq_len,))
    raw = retention_configuration
    if isinstance(raw, str):
        raw = parse_retention_configuration(raw)
    try:
        values = list(raw)
    except TypeError:
        raise RetentionConfigError("retention configuration must be a sequence of integers, got %r"
                         % (retention_configuration,)) from None
    bad = [v for v in values if not _is_integral(v)]
    if bad:
        raise RetentionConfigError("retention configuration %s has non-integer entries %s"
                         % (values, bad))
    config = tuple(int(v) for v in values)
    if num_hidden_layers is not None and len(config) != int(num_hidden_layers):
        raise RetentionConfigError("retention configuration %s has %d entries but the model has %d "
                         "encoders (num_hidden_layers)"
                         % (list(config), len(config), int(num_hidden_layers)))
    if not config:
        raise RetentionConfigError("retention configuration is empty")
    out_of_range = [(j + 1, v) for j, v in enumerate(config) if not 1 <= v <= seq_len]
    if out_of_range:
        raise RetentionConfigError("retention configuration %s: every l_j must be in [1, seq_len=%d]; "
                         "got %s" % (list(config), seq_len,
                                     ", ".join("l_%d=%d" % p for p in out_of_range)))
    increases = [(j, config[j - 1], j + 1, config[j]) for j in range(1, len(config))
                 if config[j] > config[j - 1]]
    if increases:
        raise RetentionConfigError("retention configuration %s must be non-increasing; got %s"
                         % (list(config), ", ".join("l_%d=%d < l_%d=%d" % p
                                                    for p in increases)))
    return config



def parse_retention_configuration(text: str) -> Tuple[int, ...]:
    """Parses "64,64,32,16" (spaces allowed) into integers (not yet validated)."""
    parts = [p.strip() for p in str(text).replace(" ", ",").split(",") if p.strip()]
    try:
        return tuple(int(p) for p in parts)
    except ValueError:
        raise RetentionConfigError("retention configuration %r is not a comma-separated list "
                                   "of integers" % (text,)) from None


def retention_configuration_from_masses(masses: Iterable[float],
                                        seq_len: Optional[int] = None) -> list:
    """l_j = floor(mass(j)), at least 1, forced non-increasing (and at most seq_len).

    A tolerance of 1e-6 keeps a mass that is an integer up to float32 rounding (all
    parameters at 1) from dropping by one.
    """
    config = []
    for mass in masses:
        value = max(1, int(math.floor(float(mass) + 1e-6)))
        if seq_len is not None:
            value = min(value, int(seq_len))
        if config:
            value = min(value, config[-1])
        config.append(value)
    return config
