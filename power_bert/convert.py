"""Convert a Hugging Face BERT checkpoint folder into Google's BERT format.

Input (``--HF_DIR``): ``config.json``, ``model.safetensors`` (or a sharded
``model.safetensors.index.json``) and ``vocab.txt`` as written by
``transformers``' ``save_pretrained`` for a ``BertModel`` / ``BertFor*``.

Output (``--OUTPUT_DIR``): what the PoWER-BERT pipeline loads, the same layout as
Google's releases:

* ``bert_config.json`` with Google's keys,
* ``vocab.txt`` (copied byte for byte),
* ``bert_model.ckpt.index`` / ``bert_model.ckpt.data-00000-of-00001``,
* ``conversion.json``: source, checksums, tensor counts, the name mapping, the
  ignored tensors and every note/warning.

Decisions (documented here because they change what is accepted):

* Only exact GELU (``hidden_act`` ``"gelu"``, or ``"gelu_python"``) is accepted:
  the PoWER-BERT model implements the erf form only, so a checkpoint trained with
  an approximate variant (``gelu_new``, ``gelu_pytorch_tanh``, ``gelu_fast``,
  ``quick_gelu``, ...) would not be reproduced.
* ``layer_norm_eps`` must be 1e-12 (Google BERT's value, hard-wired in the
  model). A different value is refused unless ``--ALLOW_LAYER_NORM_EPS_MISMATCH``
  is given; then the source value is recorded in ``conversion.json`` with a
  warning, and the converted model will still use 1e-12.
* A missing pooler (``pooler.dense.*``) is refused: PoWER-BERT's classifier head
  is initialised from ``bert/pooler/dense``. ``--ALLOW_MISSING_POOLER``
  initialises it randomly (kernel ~ normal(0, initializer_range), bias 0) with a
  warning on stderr and in ``conversion.json``; it is never done silently.
* Tensors outside the BERT body (``cls.*`` pre-training heads, ``classifier.*``
  task heads, ...) and known buffers (``embeddings.position_ids``) are ignored
  and listed. An unknown tensor under ``embeddings.``, ``encoder.`` or
  ``pooler.`` is refused, as is any wrong shape.
* The output is first written to a hidden temporary folder next to
  ``OUTPUT_DIR`` and renamed into place at the end, so a failed run leaves
  nothing behind. An existing non-empty ``OUTPUT_DIR`` is refused unless
  ``--OVERWRITE``, which replaces only an earlier conversion (its ``conversion.json``
  written by this converter, and none but the files listed above), never a folder
  holding anything else, nor HF_DIR, a folder holding it or one inside it.

Command line::

    power-bert convert --HF_DIR path/to/hf --OUTPUT_DIR path/to/google
"""
from __future__ import annotations

import json
import math
import os
import shutil
import sys
import warnings
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from power_bert import __version__
from power_bert.checkpoint import file_sha256
from power_bert.config import (CONFIG_KEYS, REQUIRED_CONFIG_KEYS, BertConfig, ConfigError,
                               write_bert_config)
from power_bert.data import check_vocab
from power_bert.errors import ConversionError, DataError
from power_bert.google_ckpt import (POOLER_LAYER, BertVariable, as_bert_config, variable_table,
                                    write_checkpoint)
from power_bert.outputs import check_new_folder, entries_besides, new_folder, read_json

__all__ = [
    "ConversionError",
    "GOOGLE_CONFIG_KEYS",
    "hf_config_to_bert_config",
    "hf_name_to_google",
    "map_hf_tensors",
    "load_hf_tensors",
    "convert_hf_to_google",
    "main",
]

#: Keys written to ``bert_config.json`` (Google's ``BertConfig`` fields).
GOOGLE_CONFIG_KEYS: Tuple[str, ...] = CONFIG_KEYS
_SHAPE_KEYS = tuple(k for k in REQUIRED_CONFIG_KEYS if k != "hidden_act")
#: transformers' ``BertConfig`` defaults, used when config.json omits a key.
_HF_DEFAULTS = {"hidden_act": "gelu", "hidden_dropout_prob": 0.1,
                "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02,
                "layer_norm_eps": 1e-12, "position_embedding_type": "absolute"}
_EXACT_GELU = ("gelu", "gelu_python")
_APPROXIMATE_GELU = ("gelu_new", "gelu_fast", "gelu_pytorch_tanh", "gelu_accurate",
                     "quick_gelu", "gelu_10", "fast_gelu", "gelu_tanh")
GOOGLE_LAYER_NORM_EPS = 1e-12

_BODY_ROOTS = ("embeddings.", "encoder.", "pooler.")
RECORD_FILE = "conversion.json"
#: What a conversion's folder holds (``fnmatch`` patterns).
OUTPUT_FILES = ("bert_config.json", "vocab.txt", "bert_model.ckpt.index",
                "bert_model.ckpt.data-*", RECORD_FILE)
_BUFFERS = ("embeddings.position_ids", "embeddings.token_type_ids")


# ----------------------------------------------------------------------------- config

def hf_config_to_bert_config(hf_config: Mapping, source: str = "config.json",
                             allow_layer_norm_eps_mismatch: bool = False
                             ) -> Tuple[Dict, List[str], List[str]]:
    """Translate a Hugging Face BERT ``config.json`` dict to Google's keys.

    Args:
        hf_config: the parsed ``config.json``.
        source: file name used in messages.
        allow_layer_norm_eps_mismatch: accept a ``layer_norm_eps`` other than
            1e-12 (recorded as a warning; the model still uses 1e-12).

    Returns:
        ``(bert_config, notes, warnings)``: the Google config (exactly
        :data:`GOOGLE_CONFIG_KEYS`), informational notes (defaults filled in),
        and warnings that must be shown to the user.

    Raises:
        ConversionError: not a BERT config, a missing architecture key, an
            activation other than exact GELU, non-absolute position embeddings,
            a decoder config, or an unaccepted layer_norm_eps.
    """
    notes: List[str] = []
    warns: List[str] = []
    if not isinstance(hf_config, Mapping):
        raise ConversionError("%s: expected a JSON object, got %s"
                              % (source, type(hf_config).__name__))
    _check_model_type(hf_config, source, notes)
    cfg = _with_defaults(hf_config, source, notes)
    _check_activation(cfg["hidden_act"], source, notes)
    _check_encoder_kind(cfg, source)
    _check_layer_norm_eps(cfg["layer_norm_eps"], source, allow_layer_norm_eps_mismatch, warns)
    bert_config = {k: cfg[k] for k in GOOGLE_CONFIG_KEYS}
    bert_config["hidden_act"] = "gelu"
    try:
        bert_config = BertConfig.from_dict(bert_config, source=source).to_dict()
    except ConfigError as e:
        raise ConversionError(str(e)) from None
    return bert_config, notes, warns


def _check_model_type(hf_config: Mapping, source: str, notes: List[str]) -> None:
    """Refuses a config that is not BERT's; notes a missing model_type."""
    model_type = hf_config.get("model_type")
    architectures = hf_config.get("architectures") or []
    if model_type is None:
        if architectures and not any(str(a).startswith("Bert") for a in architectures):
            raise ConversionError("%s: no model_type and architectures %s are not BERT; only "
                                  "BERT checkpoints can be converted" % (source, architectures))
        notes.append("%s has no model_type; assumed bert" % source)
    elif model_type != "bert":
        raise ConversionError("%s: model_type is %r; only 'bert' checkpoints can be converted "
                              "(other architectures differ in weights or numerics)"
                              % (source, model_type))


def _with_defaults(hf_config: Mapping, source: str, notes: List[str]) -> Dict:
    """The config with transformers' defaults for the keys it omits (each noted).

    Raises:
      ConversionError: a key of the sizes is missing (it has no default).
    """
    missing = [k for k in _SHAPE_KEYS if k not in hf_config]
    if missing:
        raise ConversionError("%s is missing the key%s %s" % (source, "s" if len(missing) > 1
                                                              else "", ", ".join(missing)))
    cfg = dict(hf_config)
    for key, default in _HF_DEFAULTS.items():
        if key not in cfg or cfg[key] is None:
            cfg[key] = default
            notes.append("%s has no %s; used the transformers default %r" % (source, key, default))
    return cfg


def _check_activation(act, source: str, notes: List[str]) -> None:
    """Accepts only exact GELU; notes a name for it other than "gelu"."""
    if not isinstance(act, str):
        raise ConversionError("%s: hidden_act %r is not a string" % (source, act))
    if act in _APPROXIMATE_GELU or ("gelu" in act and act not in _EXACT_GELU):
        raise ConversionError(
            "%s: hidden_act is %r, an approximate/modified GELU; PoWER-BERT implements the "
            "exact (erf) GELU of Google BERT, so this checkpoint's outputs would not be "
            "reproduced" % (source, act))
    if act not in _EXACT_GELU:
        raise ConversionError("%s: hidden_act is %r; PoWER-BERT implements only the exact "
                              "(erf) GELU" % (source, act))
    if act != "gelu":
        notes.append("hidden_act %r is exact GELU; written as 'gelu'" % act)


def _check_encoder_kind(cfg: Mapping, source: str) -> None:
    """Refuses non-absolute position embeddings and decoder configs."""
    pos = cfg["position_embedding_type"]
    if pos != "absolute":
        raise ConversionError("%s: position_embedding_type is %r; only 'absolute' position "
                              "embeddings (Google BERT) are supported" % (source, pos))
    if cfg.get("is_decoder") or cfg.get("add_cross_attention"):
        raise ConversionError("%s: is_decoder/add_cross_attention is set; only encoder BERT "
                              "(bidirectional self-attention) can be converted" % source)


def _check_layer_norm_eps(eps, source: str, allow_mismatch: bool, warns: List[str]) -> None:
    """Refuses a layer_norm_eps other than Google's 1e-12 unless ``allow_mismatch``, which
    turns the refusal into a warning."""
    try:
        eps = float(eps)
    except (TypeError, ValueError):
        raise ConversionError("%s: layer_norm_eps %r is not a number" % (source, eps)) from None
    if not math.isclose(eps, GOOGLE_LAYER_NORM_EPS, rel_tol=1e-6, abs_tol=0.0):
        msg = ("%s: layer_norm_eps is %g but Google BERT (and the PoWER-BERT model) uses 1e-12"
               % (source, eps))
        if not allow_mismatch:
            raise ConversionError(msg + "; hidden states would differ. Pass "
                                        "--ALLOW_LAYER_NORM_EPS_MISMATCH to convert anyway")
        warns.append(msg + "; converted anyway (--ALLOW_LAYER_NORM_EPS_MISMATCH), the model "
                           "will use 1e-12")


# ----------------------------------------------------------------------------- tensors

def _hf_index(table: Sequence[BertVariable]) -> Dict[str, BertVariable]:
    """Hugging Face name (and alias) -> row of the Google variable table."""
    return {hf: row for row in table for hf in row.hf}


def _lookup(name: str, index: Mapping[str, BertVariable], num_hidden_layers: int,
            shown: str) -> BertVariable:
    row = index.get(name)
    if row is not None:
        return row
    # encoder.layer.<i>.<module>.<param>: a known encoder tensor of a layer beyond the
    # config's count (layer 0 has the same tensor) gets its own message.
    parts = name.split(".", 3)
    if (len(parts) == 4 and parts[:2] == ["encoder", "layer"] and parts[2].isascii()
            and parts[2].isdigit() and int(parts[2]) >= num_hidden_layers
            and "encoder.layer.0." + parts[3] in index):
        raise ConversionError("tensor %s belongs to encoder layer %d but config.json says "
                              "num_hidden_layers=%d" % (shown, int(parts[2]), num_hidden_layers))
    raise ConversionError("unexpected tensor %s: no Google BERT variable corresponds to it"
                          % shown)


def hf_name_to_google(name: str, bert_config: Union[BertConfig, Mapping],
                      display_name: Optional[str] = None) -> Tuple[str, bool]:
    """Google variable name for a Hugging Face BERT tensor name (prefix stripped).

    The name is looked up in :func:`power_bert.google_ckpt.variable_table`.

    Args:
        name: e.g. ``encoder.layer.3.attention.self.query.weight`` (no ``bert.``).
        bert_config: Google config (a dict or a BertConfig); larger layer indices than
            its num_hidden_layers are refused.
        display_name: the full source name for messages (default ``name``).

    Returns:
        ``(google_name, transpose)``; ``transpose`` is True for Linear weights
        (PyTorch [out, in] -> Google kernel [in, out]).

    Raises:
        ConversionError: the name cannot be mapped.
    """
    config = as_bert_config(bert_config)
    row = _lookup(name, _hf_index(variable_table(config)), config.num_hidden_layers,
                  display_name or name)
    return row.google, row.hf_transposed


def _body_prefix(names: Sequence[str]) -> str:
    with_bert = any(n.startswith("bert." + r) for n in names for r in _BODY_ROOTS)
    without = any(n.startswith(r) for n in names for r in _BODY_ROOTS)
    if with_bert and without:
        raise ConversionError("the checkpoint has BERT tensors both with and without the "
                              "'bert.' prefix (e.g. bert.embeddings.* and embeddings.*); "
                              "cannot tell which to use")
    if not (with_bert or without):
        raise ConversionError("no BERT tensors found: expected names starting with "
                              "embeddings./encoder./pooler. or bert.embeddings./... ; got e.g. %s"
                              % ", ".join(sorted(names)[:5]))
    return "bert." if with_bert else ""


def _body_name(full: str, prefix: str) -> Optional[str]:
    """A tensor's name without ``prefix`` when it is in the BERT body (embeddings,
    encoder, pooler); None for any other tensor."""
    stripped = full[len(prefix):] if full.startswith(prefix) else None
    if stripped is not None and not stripped.startswith(_BODY_ROOTS):
        return None
    return stripped


def _ignore_reason(stripped: Optional[str], full: str) -> Optional[str]:
    if stripped is not None and stripped in _BUFFERS:
        return "buffer, not a weight"
    if full.startswith("cls."):
        return "pre-training head (MLM/NSP), not used by PoWER-BERT"
    if full.split(".")[0] in ("classifier", "qa_outputs", "score", "dropout"):
        return "task head, PoWER-BERT trains its own"
    if stripped is None:
        return "outside the BERT body (embeddings/encoder/pooler)"
    return None


def map_hf_tensors(tensors: Mapping[str, np.ndarray], bert_config: Mapping,
                   allow_missing_pooler: bool = False, seed: int = 0
                   ) -> Tuple["OrderedDict[str, np.ndarray]", Dict[str, str],
                              List[Dict], List[str]]:
    """Map Hugging Face tensors to Google variables, checking names and shapes.

    Args:
        tensors: HF name -> array, names with or without the ``bert.`` prefix.
        bert_config: Google config (from :func:`hf_config_to_bert_config`).
        allow_missing_pooler: when ``pooler.dense.*`` is absent, initialise it
            randomly (kernel ~ normal(0, initializer_range), bias 0) instead of
            refusing; a warning is returned.
        seed: seed for that random pooler.

    Returns:
        ``(variables, mapping, ignored, warnings)``: Google name -> float32 array
        in :func:`google_variable_shapes` order; Google name -> HF source name
        (or a description for a generated pooler); the ignored tensors as dicts
        ``{name, shape, dtype, reason}``; warnings to show.

    Raises:
        ConversionError: an unknown tensor under embeddings/encoder/pooler, a
            duplicate (e.g. both LayerNorm.weight and .gamma), a wrong shape, a
            non-float weight, a missing tensor, or a missing pooler.
    """
    table = variable_table(bert_config, include_pooler=True)
    expected = OrderedDict((row.google, row.shape) for row in table)
    index = _hf_index(table)
    layers = int(bert_config["num_hidden_layers"])
    prefix = _body_prefix(list(tensors))
    variables: Dict[str, np.ndarray] = {}
    mapping: Dict[str, str] = {}
    ignored: List[Dict] = []
    warns: List[str] = []
    for full in sorted(tensors):
        array = tensors[full]
        stripped = _body_name(full, prefix)
        reason = _ignore_reason(stripped, full)
        if reason is not None:
            ignored.append({"name": full, "shape": list(np.shape(array)),
                            "dtype": str(np.asarray(array).dtype), "reason": reason})
            continue
        row = _lookup(stripped, index, layers, full)
        if row.google in mapping:
            raise ConversionError("tensors %s and %s both map to %s"
                                  % (mapping[row.google], full, row.google))
        variables[row.google] = _google_array(row, full, array, bert_config)
        mapping[row.google] = full
    pooler_names = [row.google for row in table if row.layer == POOLER_LAYER]  # kernel, bias
    warns += _complete_pooler(variables, mapping, pooler_names, expected, bert_config, prefix,
                              allow_missing_pooler, seed)
    missing = [n for n in expected if n not in variables]
    if missing:
        raise ConversionError("the checkpoint lacks %d BERT tensor%s, e.g. %s (Google names)"
                              % (len(missing), "s" if len(missing) > 1 else "",
                                 ", ".join(missing[:5])))
    ordered = OrderedDict((n, variables[n]) for n in expected)
    return ordered, mapping, ignored, warns


def _google_array(row: BertVariable, full: str, array, bert_config: Mapping) -> np.ndarray:
    """A Hugging Face tensor as the float32 value of its Google variable (a Linear
    weight transposed).

    Raises:
      ConversionError: the shape is not the one the config gives, or not a float.
    """
    want_hf = tuple(reversed(row.shape)) if row.hf_transposed else row.shape
    array = np.asarray(array)
    if tuple(array.shape) != want_hf:
        raise ConversionError(
            "tensor %s has shape %s, expected %s for %s (from config.json: hidden_size=%d, "
            "intermediate_size=%d, vocab_size=%d, max_position_embeddings=%d, "
            "type_vocab_size=%d)" % (full, list(array.shape), list(want_hf), row.google,
                                     bert_config["hidden_size"],
                                     bert_config["intermediate_size"],
                                     bert_config["vocab_size"],
                                     bert_config["max_position_embeddings"],
                                     bert_config["type_vocab_size"]))
    if array.dtype.kind != "f":
        raise ConversionError("tensor %s has dtype %s; a floating-point weight is expected"
                              % (full, array.dtype))
    return np.ascontiguousarray(array.T if row.hf_transposed else array, dtype=np.float32)


def _complete_pooler(variables: Dict[str, np.ndarray], mapping: Dict[str, str],
                     pooler_names: Sequence[str], expected: Mapping[str, Tuple[int, ...]],
                     bert_config: Mapping, prefix: str, allow_missing: bool, seed: int
                     ) -> List[str]:
    """Checks the pooler's two tensors; when both are absent and ``allow_missing``,
    adds a random one to ``variables`` and ``mapping``.

    Returns:
      The warnings to show (one for a random pooler).

    Raises:
      ConversionError: one of the two is missing, or both without ``allow_missing``.
    """
    have_pooler = [n for n in pooler_names if n in variables]
    if len(have_pooler) == 1:
        raise ConversionError("the pooler is incomplete: %s is present but %s is missing"
                              % (have_pooler[0], [n for n in pooler_names
                                                  if n not in variables][0]))
    if have_pooler:
        return []
    if not allow_missing:
        raise ConversionError(
            "the checkpoint has no pooler (%spooler.dense.weight / %spooler.dense.bias): "
            "PoWER-BERT's classifier head starts from bert/pooler/dense. Pass "
            "--ALLOW_MISSING_POOLER to initialise it randomly (the head then starts from "
            "scratch)" % (prefix, prefix))
    kernel, bias = pooler_names
    std = float(bert_config["initializer_range"])
    rng = np.random.default_rng(seed)
    variables[kernel] = (std * rng.standard_normal(expected[kernel])).astype(np.float32)
    variables[bias] = np.zeros(expected[bias], np.float32)
    desc = "random: normal(0, %g) kernel, zero bias, seed %d" % (std, seed)
    mapping[kernel] = mapping[bias] = desc
    return ["WARNING: the checkpoint has no pooler; bert/pooler/dense was initialised "
            "RANDOMLY (%s). Fine-tuning starts the classifier head from scratch." % desc]


# ----------------------------------------------------------------------------- files

def _require_file(hf_dir: str, name: str, hint: str = "") -> str:
    path = os.path.join(hf_dir, name)
    if not os.path.isfile(path):
        raise ConversionError("%s not found in %s%s" % (name, hf_dir, hint))
    return path


def _read_json(path: str) -> Dict:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise ConversionError("%s is not valid JSON: %s" % (path, e)) from None


def load_hf_tensors(hf_dir: str) -> Tuple[Dict[str, np.ndarray], List[str]]:
    """Load all tensors of ``model.safetensors`` (or its sharded index).

    Args:
        hf_dir: the Hugging Face checkpoint folder.

    Returns:
        ``(tensors, files)``: name -> numpy array, and the safetensors files read.

    Raises:
        ConversionError: no safetensors weights (e.g. only ``pytorch_model.bin``,
            which would need PyTorch), or a file that cannot be read.
    """
    from safetensors.numpy import load_file

    single = os.path.join(hf_dir, "model.safetensors")
    index = os.path.join(hf_dir, "model.safetensors.index.json")
    if os.path.isfile(single):
        files = [single]
    elif os.path.isfile(index):
        weight_map = _read_json(index).get("weight_map")
        if not isinstance(weight_map, dict) or not weight_map:
            raise ConversionError("%s has no weight_map" % index)
        files = [os.path.join(hf_dir, f) for f in sorted(set(weight_map.values()))]
    else:
        others = [f for f in ("pytorch_model.bin", "tf_model.h5", "flax_model.msgpack")
                  if os.path.exists(os.path.join(hf_dir, f))]
        raise ConversionError(
            "model.safetensors not found in %s%s; only safetensors weights are supported"
            % (hf_dir, " (found %s: re-save it with safe_serialization=True)"
               % ", ".join(others) if others else ""))
    tensors: Dict[str, np.ndarray] = {}
    for path in files:
        if not os.path.isfile(path):
            raise ConversionError("%s not found (listed in the safetensors index)" % path)
        try:
            part = load_file(path)
        except Exception as e:  # safetensors raises several types (e.g. bfloat16)
            raise ConversionError("cannot read %s: %s: %s" % (path, type(e).__name__, e)) from None
        for name, array in part.items():
            if name in tensors:
                raise ConversionError("tensor %s appears in more than one shard" % name)
            tensors[name] = array
    return tensors, files


def convert_hf_to_google(hf_dir: str, output_dir: str, allow_missing_pooler: bool = False,
                         allow_layer_norm_eps_mismatch: bool = False, overwrite: bool = False,
                         seed: int = 0) -> Dict:
    """Convert a Hugging Face BERT folder into a Google-format BERT folder.

    Everything is validated and mapped in memory first; files are written to a
    temporary sibling folder of ``output_dir`` that is renamed into place only
    when complete, so a failure leaves no partial output.

    Args:
        hf_dir: folder with ``config.json``, ``model.safetensors``, ``vocab.txt``
            (``tokenizer_config.json`` optional: its ``do_lower_case`` is recorded).
        output_dir: folder to create with ``bert_config.json``, ``vocab.txt``,
            ``bert_model.ckpt.*`` and ``conversion.json``.
        allow_missing_pooler: initialise a missing pooler randomly (with warning).
        allow_layer_norm_eps_mismatch: accept layer_norm_eps != 1e-12 (warning).
        overwrite: replace a non-empty ``output_dir``.
        seed: seed of a randomly initialised pooler.

    Returns:
        The record written to ``conversion.json``.

    Raises:
        ConversionError: anything that prevents a faithful conversion; the
            message names the file or tensor and the reason.
    """
    hf_dir, out = _check_folders(hf_dir, output_dir, overwrite)
    config_path = _require_file(hf_dir, "config.json")
    vocab_path = _require_file(hf_dir, "vocab.txt", " (BERT's WordPiece vocabulary is needed)")
    hf_config = _read_json(config_path)
    bert_config, notes, warns = hf_config_to_bert_config(
        hf_config, source=config_path,
        allow_layer_norm_eps_mismatch=allow_layer_norm_eps_mismatch)
    vocab_entries = _vocab_entries(vocab_path, bert_config, config_path, notes)
    tensors, weight_files = load_hf_tensors(hf_dir)
    variables, mapping, ignored, tensor_warns = map_hf_tensors(
        tensors, bert_config, allow_missing_pooler=allow_missing_pooler, seed=seed)
    warns += tensor_warns
    do_lower_case = _do_lower_case(hf_dir, notes)
    record = _conversion_record(hf_dir, hf_config, bert_config,
                                [config_path, vocab_path] + weight_files, len(tensors),
                                (variables, mapping, ignored), vocab_entries, do_lower_case,
                                warns, notes)
    for w in warns:
        warnings.warn(w, stacklevel=2)
    _write_conversion(out, bert_config, vocab_path, variables, record)
    return record


def _conversion_record(hf_dir: str, hf_config: Mapping, bert_config: Dict,
                       source_paths: Sequence[str], source_tensor_count: int,
                       mapped: Tuple[Mapping[str, np.ndarray], Mapping[str, str], List[Dict]],
                       vocab_entries: int, do_lower_case: Optional[bool], warns: List[str],
                       notes: List[str]) -> "OrderedDict[str, object]":
    """What ``conversion.json`` records: the source files' checksums, the tensor counts,
    the ignored tensors, the source's activation and epsilon, the config, the warnings
    and notes, and the mapping (``mapped``: ``map_hf_tensors``' variables, mapping and
    ignored tensors)."""
    variables, mapping, ignored = mapped
    source_files = OrderedDict((os.path.relpath(path, hf_dir), file_sha256(path))
                               for path in source_paths)
    return OrderedDict([
        ("converter", "power_bert.convert %s" % __version__),
        ("source", hf_dir),
        ("source_files_sha256", source_files),
        ("source_tensor_count", source_tensor_count),
        ("tensor_count", len(variables)),
        ("ignored_tensor_count", len(ignored)),
        ("ignored_tensors", ignored),
        ("pooler", "random" if any(source.startswith("random:") for source in mapping.values())
         else "converted"),
        ("source_hidden_act", hf_config.get("hidden_act", _HF_DEFAULTS["hidden_act"])),
        ("source_layer_norm_eps", hf_config.get("layer_norm_eps",
                                                _HF_DEFAULTS["layer_norm_eps"])),
        ("do_lower_case", do_lower_case),
        ("vocab_entries", vocab_entries),
        ("bert_config", bert_config),
        ("warnings", warns),
        ("notes", notes),
        ("mapping", OrderedDict((g, mapping[g]) for g in variables)),
    ])


def _check_folders(hf_dir: str, output_dir: str, overwrite: bool) -> Tuple[str, str]:
    """The absolute HF_DIR and OUTPUT_DIR, checked: HF_DIR is a folder, OUTPUT_DIR is
    neither it nor a folder holding it, and is new (or, with ``overwrite``, an earlier
    conversion).

    Raises:
      ConversionError: naming the folder and what is wrong with it.
    """
    hf_dir = os.path.abspath(hf_dir)
    if not os.path.isdir(hf_dir):
        raise ConversionError("HF_DIR %s is not a folder" % hf_dir)
    out = os.path.abspath(output_dir)
    for folder, source in ((out, hf_dir), (os.path.realpath(out), os.path.realpath(hf_dir))):
        if folder == source or source.startswith(folder + os.sep):
            raise ConversionError("OUTPUT_DIR %s must not be HF_DIR %s or contain it"
                                  % (out, hf_dir))
    out = check_new_folder(output_dir, overwrite, ConversionError, earlier=_not_a_conversion,
                           what="conversion", reads=(hf_dir,))
    return hf_dir, out


def _vocab_entries(vocab_path: str, bert_config: Mapping, config_path: str,
                   notes: List[str]) -> int:
    """The vocabulary's entries, checked against vocab_size (the package's one rule:
    more entries than vocab_size is an error; fewer is noted)."""
    try:
        entries = check_vocab(vocab_path, bert_config["vocab_size"], config_path)
    except DataError as e:
        raise ConversionError(str(e)) from None
    if entries < bert_config["vocab_size"]:
        notes.append("vocab.txt has %d entries, fewer than vocab_size %d (unused embedding rows)"
                     % (entries, bert_config["vocab_size"]))
    return entries


def _do_lower_case(hf_dir: str, notes: List[str]) -> Optional[bool]:
    """``do_lower_case`` of the folder's tokenizer_config.json; None (noted) when absent."""
    do_lower_case = None
    tok_path = os.path.join(hf_dir, "tokenizer_config.json")
    if os.path.isfile(tok_path):
        do_lower_case = _read_json(tok_path).get("do_lower_case")
    if do_lower_case is None:
        notes.append("do_lower_case unknown (no tokenizer_config.json entry)")
    return do_lower_case


def _write_conversion(out: str, bert_config: Mapping, vocab_path: str,
                      variables: Mapping[str, np.ndarray], record: Mapping) -> None:
    """Writes the converted folder into a temporary sibling, renamed to ``out`` when
    complete (``outputs.new_folder``)."""
    with new_folder(out) as tmp:
        write_bert_config(bert_config, os.path.join(tmp, "bert_config.json"))
        shutil.copyfile(vocab_path, os.path.join(tmp, "vocab.txt"))
        write_checkpoint(variables, os.path.join(tmp, "bert_model.ckpt"))
        with open(os.path.join(tmp, RECORD_FILE), "w", encoding="utf-8") as f:
            json.dump(record, f, indent=2)
            f.write("\n")


def _not_a_conversion(folder: str) -> Optional[str]:
    """None when ``folder`` holds an earlier conversion and nothing else; otherwise why
    not."""
    record = read_json(os.path.join(folder, RECORD_FILE)) or {}
    if not str(record.get("converter", "")).startswith("power_bert.convert"):
        return "it holds no %s of power-bert convert" % RECORD_FILE
    return entries_besides(folder, OUTPUT_FILES)


# ----------------------------------------------------------------------------- CLI

def add_arguments(parser, command: str = "convert"):
    parser.add_argument("--HF_DIR", required=True, help="Hugging Face checkpoint folder")
    parser.add_argument("--OUTPUT_DIR", required=True,
                        help="folder to create (must not exist or be empty)")
    parser.add_argument("--ALLOW_MISSING_POOLER", action="store_true",
                        help="initialise a missing pooler randomly instead of refusing")
    parser.add_argument("--ALLOW_LAYER_NORM_EPS_MISMATCH", action="store_true",
                        help="convert even if layer_norm_eps != 1e-12 (the model uses 1e-12)")
    parser.add_argument("--OVERWRITE", action="store_true", help="replace a non-empty OUTPUT_DIR")
    parser.add_argument("--SEED", type=int, default=0,
                        help="seed for a randomly initialised pooler (default 0)")


def run(args) -> int:
    """Converts and prints a summary.

    Raises:
      ConversionError: the conversion is refused or its files cannot be written.
    """
    if not 0 <= args.SEED <= 2 ** 31 - 1:
        raise ConversionError("--SEED must be an integer in [0, 2147483647], got %d" % args.SEED)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # printed below instead
            record = convert_hf_to_google(
                args.HF_DIR, args.OUTPUT_DIR, allow_missing_pooler=args.ALLOW_MISSING_POOLER,
                allow_layer_norm_eps_mismatch=args.ALLOW_LAYER_NORM_EPS_MISMATCH,
                overwrite=args.OVERWRITE, seed=args.SEED)
    except OSError as e:
        raise ConversionError("%s: %s" % (e.filename or args.OUTPUT_DIR, e.strerror or e)) from None
    for w in record["warnings"]:
        print(w if w.startswith("WARNING") else "WARNING: " + w, file=sys.stderr)
    cfg = record["bert_config"]
    print("Converted %s -> %s" % (record["source"], os.path.abspath(args.OUTPUT_DIR)))
    print("  %d tensors written (pooler %s); %d ignored: %s"
          % (record["tensor_count"], record["pooler"], record["ignored_tensor_count"],
             ", ".join(t["name"] for t in record["ignored_tensors"]) or "-"))
    print("  layers=%d hidden=%d heads=%d intermediate=%d vocab=%d max_position=%d "
          "type_vocab=%d do_lower_case=%s"
          % (cfg["num_hidden_layers"], cfg["hidden_size"], cfg["num_attention_heads"],
             cfg["intermediate_size"], cfg["vocab_size"], cfg["max_position_embeddings"],
             cfg["type_vocab_size"], record["do_lower_case"]))
    for n in record["notes"]:
        print("  note: %s" % n)
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m power_bert.convert``: the same as ``power-bert convert``."""
    from power_bert.cli import run_command
    return run_command("convert", argv, prog="python -m power_bert.convert")


if __name__ == "__main__":
    sys.exit(main())
