"""Google BERT checkpoint format: variable names, shapes, reading and writing.

Google's pre-trained BERT releases (``uncased_L-12_H-768_A-12`` and friends) are
a folder with ``bert_config.json``, ``vocab.txt`` and a TF1 name-based
checkpoint ``bert_model.ckpt.{index,data-00000-of-00001}``. This module knows
the variable names of that checkpoint, computes their shapes from a
``bert_config`` dict, and reads/writes such checkpoints as plain numpy arrays,
so tests and converters never need a Keras model.

Everything here is numpy in, numpy out. TensorFlow is imported lazily (through
:mod:`power_bert.backend`) only by the functions that touch checkpoint files.
"""
from __future__ import annotations

import json
import os
from collections import OrderedDict
from typing import Dict, Iterable, List, Mapping, Optional, Tuple

import numpy as np

__all__ = [
    "REQUIRED_CONFIG_KEYS",
    "CONFIG_DEFAULTS",
    "BertConfigError",
    "google_variable_shapes",
    "layer_variable_names",
    "validate_bert_config",
    "check_variables",
    "write_checkpoint",
    "read_checkpoint",
    "list_checkpoint",
    "random_bert_variables",
    "write_bert_config",
    "read_bert_config",
]

#: Keys a ``bert_config.json`` must have: they fix the architecture.
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

#: Keys that Google's files always carry but that do not change the weights'
#: shapes or the inference numerics; when absent, :func:`read_bert_config` fills
#: in Google's ``BertConfig`` defaults.
CONFIG_DEFAULTS: Dict[str, float] = {
    "hidden_dropout_prob": 0.1,
    "attention_probs_dropout_prob": 0.1,
    "initializer_range": 0.02,
}

_INT_KEYS = tuple(k for k in REQUIRED_CONFIG_KEYS if k != "hidden_act")


class BertConfigError(ValueError):
    """A ``bert_config`` dict or file is missing a key or is inconsistent."""


def _where(source: Optional[str]) -> str:
    return " in %s" % source if source else ""


def validate_bert_config(bert_config: Mapping, source: Optional[str] = None) -> None:
    """Check that a bert_config dict describes a buildable BERT.

    Args:
        bert_config: dict with Google's ``bert_config.json`` keys.
        source: where the dict came from (a file name), used in messages.

    Raises:
        BertConfigError: a required key is missing, a size is not a positive
            integer, or hidden_size is not a multiple of num_attention_heads.
    """
    if not isinstance(bert_config, Mapping):
        raise BertConfigError("bert_config%s must be a JSON object (dict), got %s"
                              % (_where(source), type(bert_config).__name__))
    missing = [k for k in REQUIRED_CONFIG_KEYS if k not in bert_config]
    if missing:
        raise BertConfigError(
            "bert_config%s is missing the required key%s %s (a Google bert_config.json "
            "has %s)" % (_where(source), "s" if len(missing) > 1 else "",
                         ", ".join(repr(k) for k in missing),
                         ", ".join(REQUIRED_CONFIG_KEYS)))
    for key in _INT_KEYS:
        value = bert_config[key]
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise BertConfigError("bert_config%s: %r must be a positive integer, got %r"
                                  % (_where(source), key, value))
    if not isinstance(bert_config["hidden_act"], str):
        raise BertConfigError("bert_config%s: 'hidden_act' must be a string, got %r"
                              % (_where(source), bert_config["hidden_act"]))
    hidden, heads = int(bert_config["hidden_size"]), int(bert_config["num_attention_heads"])
    if hidden % heads != 0:
        raise BertConfigError(
            "The hidden size (%d) is not a multiple of the number of attention heads (%d)%s"
            % (hidden, heads, _where(source)))


def layer_variable_names(layer: int) -> List[str]:
    """Google variable names of encoder ``layer`` (0-based), in checkpoint order.

    Args:
        layer: 0-based encoder index.

    Returns:
        The 16 variable names of that encoder.
    """
    p = "bert/encoder/layer_%d/" % layer
    names = []
    for proj in ("query", "key", "value"):
        names += [p + "attention/self/%s/kernel" % proj, p + "attention/self/%s/bias" % proj]
    names += [p + "attention/output/dense/kernel", p + "attention/output/dense/bias",
              p + "attention/output/LayerNorm/gamma", p + "attention/output/LayerNorm/beta",
              p + "intermediate/dense/kernel", p + "intermediate/dense/bias",
              p + "output/dense/kernel", p + "output/dense/bias",
              p + "output/LayerNorm/gamma", p + "output/LayerNorm/beta"]
    return names


def google_variable_shapes(bert_config: Mapping,
                           include_pooler: bool = True) -> "OrderedDict[str, Tuple[int, ...]]":
    """Every variable of a Google-format BERT checkpoint with its shape.

    Only the BERT body is listed (embeddings, encoders, optionally the pooler):
    no ``cls/*`` pre-training heads, no optimizer slots, no ``global_step``.

    Args:
        bert_config: dict with Google's ``bert_config.json`` keys; sizes and the
            number of layers are taken from it (nothing is hard-coded).
        include_pooler: also list ``bert/pooler/dense/{kernel,bias}``.

    Returns:
        Ordered dict name -> shape tuple, embeddings first, then layer 0..L-1,
        then the pooler.

    Raises:
        BertConfigError: the config is incomplete or inconsistent.
    """
    validate_bert_config(bert_config)
    v = int(bert_config["vocab_size"])
    h = int(bert_config["hidden_size"])
    i_size = int(bert_config["intermediate_size"])
    p = int(bert_config["max_position_embeddings"])
    t = int(bert_config["type_vocab_size"])
    shapes: "OrderedDict[str, Tuple[int, ...]]" = OrderedDict()
    shapes["bert/embeddings/word_embeddings"] = (v, h)
    shapes["bert/embeddings/token_type_embeddings"] = (t, h)
    shapes["bert/embeddings/position_embeddings"] = (p, h)
    shapes["bert/embeddings/LayerNorm/gamma"] = (h,)
    shapes["bert/embeddings/LayerNorm/beta"] = (h,)
    for layer in range(int(bert_config["num_hidden_layers"])):
        for name in layer_variable_names(layer):
            if name.endswith("intermediate/dense/kernel"):
                shapes[name] = (h, i_size)
            elif name.endswith("intermediate/dense/bias"):
                shapes[name] = (i_size,)
            elif name.endswith("/output/dense/kernel") and "/attention/" not in name:
                shapes[name] = (i_size, h)
            elif name.endswith("/kernel"):
                shapes[name] = (h, h)
            else:  # biases, gamma, beta of width H
                shapes[name] = (h,)
    if include_pooler:
        shapes["bert/pooler/dense/kernel"] = (h, h)
        shapes["bert/pooler/dense/bias"] = (h,)
    return shapes


def check_variables(variables: Mapping[str, np.ndarray], bert_config: Mapping,
                    include_pooler: bool = True, allow_extra: bool = True) -> None:
    """Check a name -> array dict against the shapes the config implies.

    Args:
        variables: Google-named arrays.
        bert_config: the config they should match.
        include_pooler: require the pooler variables too.
        allow_extra: tolerate names that are not BERT-body variables
            (``cls/*``, ``global_step``, ...).

    Raises:
        ValueError: listing every missing variable, wrong shape and (unless
            ``allow_extra``) unexpected name.
    """
    expected = google_variable_shapes(bert_config, include_pooler=include_pooler)
    problems = []
    for name, shape in expected.items():
        if name not in variables:
            problems.append("missing %s %s" % (name, list(shape)))
        elif tuple(np.shape(variables[name])) != shape:
            problems.append("%s has shape %s, expected %s"
                            % (name, list(np.shape(variables[name])), list(shape)))
    if not allow_extra:
        problems += ["unexpected variable %s" % n for n in variables if n not in expected]
    if problems:
        raise ValueError("BERT variables do not match the config (%d problem%s):\n  %s"
                         % (len(problems), "s" if len(problems) > 1 else "",
                            "\n  ".join(problems)))


def _as_checkpoint_array(name: str, value) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind == "f":
        return np.ascontiguousarray(arr, dtype=np.float32)
    if arr.dtype.kind in "iu":
        return np.ascontiguousarray(arr)
    raise TypeError("variable %r has dtype %s; only float (stored as float32) and integer "
                    "arrays can be written" % (name, arr.dtype))


def write_checkpoint(variables: Mapping[str, np.ndarray], prefix: str) -> List[str]:
    """Write a TF1-style name-based checkpoint, like Google's ``bert_model.ckpt``.

    The result is ``prefix.index`` and ``prefix.data-00000-of-00001`` (TensorFlow's
    tensor-bundle format, written with the ``SaveV2`` op), readable with
    ``tf.train.load_variable(prefix, name)`` / ``tf.train.list_variables(prefix)``
    and by any TF1 ``Saver``/``init_from_checkpoint`` under exactly these names.
    No ``checkpoint`` state file and no ``.meta`` graph are written (loaders
    address the checkpoint by its prefix).

    Args:
        variables: name -> array. Floating arrays are stored as float32, integer
            arrays keep their dtype.
        prefix: checkpoint path prefix, e.g. ``out/bert_model.ckpt``; the parent
            folder is created if needed. Existing files with this prefix are
            replaced.

    Returns:
        The list of files written.

    Raises:
        ValueError: no variables, or a name that is empty/not a string.
        TypeError: an array that is neither float nor integer.
    """
    if not variables:
        raise ValueError("write_checkpoint(%r): no variables to write" % (prefix,))
    names = list(variables.keys())
    for name in names:
        if not isinstance(name, str) or not name:
            raise ValueError("checkpoint variable names must be non-empty strings, got %r"
                             % (name,))
    arrays = [_as_checkpoint_array(n, variables[n]) for n in names]
    prefix = os.fspath(prefix)
    parent = os.path.dirname(os.path.abspath(prefix))
    os.makedirs(parent, exist_ok=True)

    from power_bert.backend import tf  # lazy: keep this module importable without TF cost

    def _save_op():
        return tf.raw_ops.SaveV2(prefix=tf.constant(prefix), tensor_names=tf.constant(names),
                                 shape_and_slices=tf.constant([""] * len(names)),
                                 tensors=[tf.constant(a) for a in arrays])

    if tf.executing_eagerly():
        with tf.device("/cpu:0"):
            _save_op()
    else:  # called from TF1 graph mode: run the op in a private graph
        graph = tf.Graph()
        with graph.as_default(), tf.device("/cpu:0"):
            op = _save_op()
        with tf.compat.v1.Session(graph=graph) as sess:
            sess.run(op)
    written = [prefix + ".index", prefix + ".data-00000-of-00001"]
    for path in written:
        if not os.path.exists(path):
            raise RuntimeError("SaveV2 did not produce %s" % path)
    return written


def _checkpoint_reader(prefix: str):
    from power_bert.backend import tf

    prefix = os.fspath(prefix)
    if not os.path.exists(prefix + ".index") and not os.path.isdir(prefix):
        raise FileNotFoundError("no TensorFlow checkpoint at %r (expected %s.index)"
                                % (prefix, prefix))
    return tf.train.load_checkpoint(prefix)


def list_checkpoint(prefix: str) -> "OrderedDict[str, Tuple[int, ...]]":
    """Names and shapes stored in a checkpoint, sorted by name.

    Args:
        prefix: checkpoint prefix (``.../bert_model.ckpt``) or a folder with a
            ``checkpoint`` state file.

    Returns:
        Ordered dict name -> shape tuple.

    Raises:
        FileNotFoundError: there is no checkpoint at ``prefix``.
    """
    reader = _checkpoint_reader(prefix)
    shapes = reader.get_variable_to_shape_map()
    return OrderedDict((n, tuple(shapes[n])) for n in sorted(shapes))


def read_checkpoint(prefix: str, names: Optional[Iterable[str]] = None) -> Dict[str, np.ndarray]:
    """Read variables of a name-based checkpoint into numpy arrays.

    Args:
        prefix: checkpoint prefix (``.../bert_model.ckpt``) or a folder with a
            ``checkpoint`` state file.
        names: the variables to read; ``None`` reads all of them.

    Returns:
        dict name -> np.ndarray (dtype as stored).

    Raises:
        FileNotFoundError: there is no checkpoint at ``prefix``.
        KeyError: a requested name is not in the checkpoint (all missing names
            are listed).
    """
    reader = _checkpoint_reader(prefix)
    available = reader.get_variable_to_shape_map()
    wanted = sorted(available) if names is None else list(names)
    missing = [n for n in wanted if n not in available]
    if missing:
        raise KeyError("checkpoint %r has no variable%s %s"
                       % (os.fspath(prefix), "s" if len(missing) > 1 else "",
                          ", ".join(missing)))
    return {n: np.asarray(reader.get_tensor(n)) for n in wanted}


def random_bert_variables(bert_config: Mapping, seed: int,
                          include_pooler: bool = True) -> "OrderedDict[str, np.ndarray]":
    """Random but non-trivial BERT weights for tests, in Google names (float32).

    Kernels and embedding tables ~ normal(0, initializer_range); biases ~
    normal(0, 0.1); LayerNorm gamma ~ 1 + normal(0, 0.1) and beta ~ normal(0, 0.1),
    so swapping any two same-shaped variables changes the outputs.

    Args:
        bert_config: the config fixing names and shapes (``initializer_range``
            defaults to 0.02 when absent).
        seed: seed of a ``numpy.random.default_rng``; same seed, same weights.
        include_pooler: also create ``bert/pooler/dense/{kernel,bias}``.

    Returns:
        Ordered dict name -> float32 array, in :func:`google_variable_shapes` order.
    """
    rng = np.random.default_rng(seed)
    std = float(bert_config.get("initializer_range", CONFIG_DEFAULTS["initializer_range"]))
    out: "OrderedDict[str, np.ndarray]" = OrderedDict()
    for name, shape in google_variable_shapes(bert_config, include_pooler).items():
        if name.endswith("/gamma"):
            value = 1.0 + 0.1 * rng.standard_normal(shape)
        elif name.endswith("/beta") or name.endswith("/bias"):
            value = 0.1 * rng.standard_normal(shape)
        else:  # kernels and embedding tables
            value = std * rng.standard_normal(shape)
        out[name] = value.astype(np.float32)
    return out


def write_bert_config(config: Mapping, path: str) -> None:
    """Write a ``bert_config.json`` (validated first; keys sorted, indented).

    Args:
        config: dict with Google's keys (extra keys are kept).
        path: file to write; its folder is created if needed.

    Raises:
        BertConfigError: the config is incomplete or inconsistent.
    """
    validate_bert_config(config, source=os.fspath(path))
    parent = os.path.dirname(os.path.abspath(os.fspath(path)))
    os.makedirs(parent, exist_ok=True)
    plain = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in config.items()}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(plain, f, indent=2, sort_keys=True)
        f.write("\n")


def read_bert_config(path: str) -> Dict:
    """Read and validate a Google ``bert_config.json``.

    Missing ``hidden_dropout_prob``, ``attention_probs_dropout_prob`` and
    ``initializer_range`` get Google's defaults (0.1, 0.1, 0.02); every other
    key of :data:`REQUIRED_CONFIG_KEYS` must be present.

    Args:
        path: the JSON file.

    Returns:
        The config dict.

    Raises:
        FileNotFoundError: no such file.
        BertConfigError: not valid JSON, a required key is missing (the error
            names the file and the key), or hidden_size is not a multiple of
            num_attention_heads.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError("BERT config file not found: %s" % path)
    with open(path, encoding="utf-8") as f:
        try:
            config = json.load(f)
        except json.JSONDecodeError as e:
            raise BertConfigError("%s is not valid JSON: %s" % (path, e)) from None
    validate_bert_config(config, source=path)
    for key, value in CONFIG_DEFAULTS.items():
        config.setdefault(key, value)
    return config
