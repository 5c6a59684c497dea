"""Stage checkpoints: the weights of a trained model (HDF5) and a JSON file beside them
with what rebuilds the model (BERT config, task, labels, sequence length, mode,
retention configuration).

Google-format BERT checkpoints (``bert_model.ckpt``) are read and loaded by
:mod:`power_bert.google_ckpt`.
"""
import json
import os
from typing import List, Tuple

from power_bert.errors import CheckpointError

WEIGHTS_SUFFIX = ".hdf5"  # not ".weights.h5": tf-keras reads that name as the Keras 3 format
META_SUFFIX = ".json"


def stage_paths(output_dir: str, stage: str) -> Tuple[str, str]:
    base = os.path.join(output_dir, stage)
    return base + WEIGHTS_SUFFIX, base + META_SUFFIX


def save_stage(model, output_dir: str, stage: str, meta: dict) -> str:
    """Saves weights and metadata atomically (temporary files, then rename).

    ``meta`` must hold what rebuilds the model: ``bert_config``, ``task``, ``num_labels``,
    ``seq_len``, ``mode`` and ``retention_configuration``.
    """
    os.makedirs(output_dir, exist_ok=True)
    weights_path, meta_path = stage_paths(output_dir, stage)
    tmp_weights = weights_path + ".tmp.hdf5"
    model.save_weights(tmp_weights)
    tmp_meta = meta_path + ".tmp"
    with open(tmp_meta, "w", encoding="utf-8") as writer:
        json.dump(meta, writer, indent=2)
    os.replace(tmp_weights, weights_path)
    os.replace(tmp_meta, meta_path)
    return weights_path


def resolve_stage_checkpoint(path: str) -> Tuple[str, str]:
    """Finds (weights .h5, metadata .json) from either file or their common prefix.

    Raises:
      CheckpointError: either file is missing.
    """
    base = path
    for suffix in (WEIGHTS_SUFFIX, META_SUFFIX, ".h5"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    weights, meta = base + WEIGHTS_SUFFIX, base + META_SUFFIX
    if path.endswith((".h5", ".hdf5")) and not path.endswith(WEIGHTS_SUFFIX):
        weights = path
    if not os.path.exists(weights):
        raise CheckpointError("model weights not found: %s" % weights)
    if not os.path.exists(meta):
        raise CheckpointError(
            "model metadata not found: %s (saved beside the weights by this project; it holds "
            "the BERT config, task and retention configuration)" % meta)
    return weights, meta


def read_stage_meta(meta_path: str) -> dict:
    try:
        with open(meta_path, "r", encoding="utf-8") as reader:
            meta = json.load(reader)
    except json.JSONDecodeError as e:
        raise CheckpointError("model metadata %s is not valid JSON: %s" % (meta_path, e)) from None
    for key in ("bert_config", "task", "num_labels", "seq_len", "mode"):
        if key not in meta:
            raise CheckpointError("model metadata %s lacks %r" % (meta_path, key))
    return meta


def load_stage_weights(model, weights_path: str, allow_missing=()) -> List[str]:
    """Loads stage weights by layer name and checks that every weighted layer of the
    model was found in the file, except those whose class is in ``allow_missing``
    (e.g. Soft-Extract layers, new in the search stage).

    Returns:
      Names of layers left as initialised.

    Raises:
      CheckpointError: a layer with weights is absent from the file or a shape differs.
    """
    import h5py
    with h5py.File(weights_path, "r") as f:
        names = [n.decode("utf8") if isinstance(n, bytes) else n
                 for n in f.attrs["layer_names"]]
        in_file = {n for n in names if len(f[n].attrs.get("weight_names", [])) > 0}
    skipped, missing = [], []
    for layer in model.layers:
        if not layer.weights or layer.name in in_file:
            continue
        if isinstance(layer, tuple(allow_missing)):
            skipped.append(layer.name)
        else:
            missing.append(layer.name)
    if missing:
        raise CheckpointError("weights file %s lacks layer(s) %s" % (weights_path, ", ".join(missing)))
    try:
        model.load_weights(weights_path, by_name=True)
    except ValueError as e:
        raise CheckpointError("weights file %s does not fit the model: %s" % (weights_path, e)) from None
    return skipped
