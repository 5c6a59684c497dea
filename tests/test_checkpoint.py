"""Loading checkpoints into a model: Google checkpoints (power_bert.google_ckpt) that do not
fit fail loudly (named variables, both shapes, no partial load); classifier heads; stage
weights by layer name (power_bert.checkpoint).
"""
import dataclasses
import json
import os

import numpy as np
import pytest

from power_bert.backend import keras
from power_bert.checkpoint import CheckpointError, StageCheckpoint, load_stage_weights
from power_bert.config import BertConfig
from power_bert.data import DataError
from power_bert.google_ckpt import (load_google_checkpoint, random_bert_variables, variable_table,
                                    write_checkpoint)
from power_bert.layers import SoftExtract, soft_extract_layers
from power_bert.model import build_model

from helpers.inputs import make_inputs
from helpers.tiny import tiny_config

# Sizes unlike the usual tiny BERT's (3 heads of 4, 2 layers) so that shapes in messages
# are unambiguous.
CONFIG = tiny_config(vocab_size=45, hidden_size=12, num_hidden_layers=2, num_attention_heads=3,
                     intermediate_size=20, max_position_embeddings=16, initializer_range=0.1)
SEQ_LEN = 8
NUM_LABELS = 3


@pytest.fixture(autouse=True)
def _seeded():
    """Fresh weights (build_model draws seeds from numpy's global generator) are the same
    in every run, whatever the test order."""
    keras.utils.set_random_seed(0)


def _config(**changes):
    return BertConfig.from_dict(dict(CONFIG, **changes))


def _google(layer, index=0):
    """The Google name of weight ``index`` of Keras layer ``layer``, from the table."""
    (name,) = [row.google for row in variable_table(CONFIG)
               if row.layer == layer and row.index == index]
    return name


KEY_BIAS_2 = _google("Encoder-2-MultiHeadSelfAttention", 3)  # Wq, bq, Wk, bk: bk of encoder 2
POSITION_EMBEDDINGS = _google("Embedding-Position")
POOLER_BIAS = _google("Pooler-Dense", 1)


def _write(folder, variables, name="bert_model.ckpt"):
    prefix = os.path.join(str(folder), name)
    write_checkpoint(variables, prefix)
    return prefix


def _vocab(folder, lines):
    path = os.path.join(str(folder), "vocab.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join("tok%d\n" % i for i in range(lines)))
    return path


@pytest.fixture(scope="module")
def finetune_model():
    """One finetune model shared by the failure tests (each checks it is left unchanged)."""
    keras.utils.set_random_seed(1)  # not 0: other weights than the models built in tests
    return build_model(_config(), NUM_LABELS, SEQ_LEN, mode="finetune")


def _assert_unchanged(model, before):
    after = model.get_weights()
    assert len(after) == len(before)
    for a, b in zip(after, before):
        np.testing.assert_array_equal(a, b)


def _failed_load(model, prefix, error=CheckpointError, **kwargs) -> str:
    """The message of the ``error`` that loading the Google checkpoint ``prefix`` into
    ``model`` raises, after checking that the failed load left every weight as it was."""
    before = model.get_weights()
    with pytest.raises(error) as info:
        load_google_checkpoint(model, _config(), prefix, **kwargs)
    _assert_unchanged(model, before)
    return str(info.value)


# --- Google checkpoints that do not fit -----------------------------------------------------

def test_missing_variable_is_named_and_nothing_is_loaded(tmp_path, finetune_model):
    variables = random_bert_variables(CONFIG, seed=1)
    del variables[KEY_BIAS_2]
    prefix = _write(tmp_path, variables)
    message = _failed_load(finetune_model, prefix)
    assert KEY_BIAS_2 in message
    assert "Encoder-2-MultiHeadSelfAttention" in message
    assert "missing" in message


def test_wrong_shape_is_named_with_both_shapes(tmp_path, finetune_model):
    variables = random_bert_variables(CONFIG, seed=2)
    w1 = _google("Encoder-1-FeedForward", 0)
    variables[w1] = np.zeros((12, 21), np.float32)
    prefix = _write(tmp_path, variables)
    message = _failed_load(finetune_model, prefix)
    assert w1 in message
    assert "(12, 21)" in message and "(12, 20)" in message


def test_every_problem_is_listed(tmp_path, finetune_model):
    variables = random_bert_variables(CONFIG, seed=3)
    gamma = _google("Embedding-Norm", 0)
    del variables[POOLER_BIAS]
    variables[gamma] = np.ones((13,), np.float32)
    prefix = _write(tmp_path, variables)
    message = _failed_load(finetune_model, prefix)
    assert "2 problems" in message
    assert POOLER_BIAS in message
    assert gamma in message


def test_longer_vocab_is_rejected_before_loading(tmp_path, finetune_model):
    prefix = _write(tmp_path, random_bert_variables(CONFIG, seed=4))
    vocab = _vocab(tmp_path, CONFIG["vocab_size"] + 3)
    message = _failed_load(finetune_model, prefix, DataError, vocab_path=vocab)
    assert vocab in message
    assert "48" in message and "45" in message


def test_shorter_vocab_is_accepted(tmp_path, finetune_model):
    prefix = _write(tmp_path, random_bert_variables(CONFIG, seed=4))
    vocab = _vocab(tmp_path, CONFIG["vocab_size"] - 5)  # some embedding rows never used
    info = load_google_checkpoint(finetune_model, _config(), prefix, vocab_path=vocab)
    assert info["variables_loaded"] == len(variable_table(CONFIG))


def test_damaged_data_file_changes_nothing(tmp_path, finetune_model):
    prefix = _write(tmp_path, random_bert_variables(CONFIG, seed=4))
    data = prefix + ".data-00000-of-00001"
    with open(data, "rb") as f:
        raw = f.read()
    with open(data, "wb") as f:  # the last variables written are cut off
        f.write(raw[: len(raw) - 100])
    assert data in _failed_load(finetune_model, prefix)
    os.remove(data)
    with pytest.raises(CheckpointError, match="no data file") as info:
        load_google_checkpoint(finetune_model, _config(), prefix)
    assert data in str(info.value)


def test_matching_checkpoint_loads_every_variable(tmp_path, finetune_model):
    variables = random_bert_variables(CONFIG, seed=5)
    prefix = _write(tmp_path, variables)
    vocab = _vocab(tmp_path, CONFIG["vocab_size"])
    info = load_google_checkpoint(finetune_model, _config(), prefix + ".index", vocab_path=vocab)
    assert info["variables_loaded"] == 5 + 16 * 2 + 2
    assert info["classifier_loaded"] is False
    for row in variable_table(CONFIG):
        np.testing.assert_array_equal(
            finetune_model.get_layer(row.layer).get_weights()[row.index],
            variables[row.google], err_msg=row.google)


def test_missing_checkpoint_file_is_a_checkpoint_error(tmp_path, finetune_model):
    with pytest.raises(CheckpointError, match="nothing_here.ckpt"):
        load_google_checkpoint(finetune_model, _config(), str(tmp_path / "nothing_here.ckpt"))


# --- classifier head (run_classifier.py checkpoints) ----------------------------------------

def test_classifier_head_is_loaded_transposed_when_required(tmp_path, finetune_model):
    variables = random_bert_variables(CONFIG, seed=6)
    rng = np.random.default_rng(7)
    variables["output_weights"] = rng.standard_normal((NUM_LABELS, 12)).astype(np.float32)
    variables["output_bias"] = rng.standard_normal((NUM_LABELS,)).astype(np.float32)
    prefix = _write(tmp_path, variables)
    info = load_google_checkpoint(finetune_model, _config(), prefix, load_classifier="required")
    assert info["classifier_loaded"] is True
    kernel, bias = finetune_model.get_layer("Output").get_weights()
    assert kernel.shape == (12, NUM_LABELS)
    np.testing.assert_array_equal(kernel, variables["output_weights"].T)
    np.testing.assert_array_equal(bias, variables["output_bias"])


def test_classifier_with_wrong_label_count_is_rejected(tmp_path, finetune_model):
    variables = random_bert_variables(CONFIG, seed=8)
    variables["output_weights"] = np.zeros((2, 12), np.float32)
    variables["output_bias"] = np.zeros((2,), np.float32)
    prefix = _write(tmp_path, variables)
    with pytest.raises(CheckpointError, match=r"output_weights.*\(2, 12\).*\(3, 12\)"):
        load_google_checkpoint(finetune_model, _config(), prefix)


def test_required_classifier_absent_raises_and_never_skips_it(tmp_path, finetune_model):
    variables = random_bert_variables(CONFIG, seed=9)
    prefix = _write(tmp_path, variables)
    assert "output_weights" in _failed_load(finetune_model, prefix, load_classifier="required")
    head = finetune_model.get_layer("Output").get_weights()
    variables["output_weights"] = np.ones((NUM_LABELS, 12), np.float32)
    variables["output_bias"] = np.ones((NUM_LABELS,), np.float32)
    prefix = _write(tmp_path, variables, name="with_head.ckpt")
    info = load_google_checkpoint(finetune_model, _config(), prefix, load_classifier="never")
    assert info["classifier_loaded"] is False
    for a, b in zip(finetune_model.get_layer("Output").get_weights(), head):
        np.testing.assert_array_equal(a, b)


# --- position embeddings --------------------------------------------------------------------

def test_position_embeddings_of_config_size_load(tmp_path, finetune_model):
    variables = random_bert_variables(CONFIG, seed=10)
    assert variables[POSITION_EMBEDDINGS].shape == (16, 12)
    prefix = _write(tmp_path, variables)
    load_google_checkpoint(finetune_model, _config(), prefix)
    table = finetune_model.get_layer("Embedding-Position").get_weights()[0]
    np.testing.assert_array_equal(table, variables[POSITION_EMBEDDINGS])


@pytest.mark.parametrize("shape", [(8, 12), (16, 10), (24, 12)])
def test_position_embeddings_of_wrong_shape_fail(tmp_path, finetune_model, shape):
    variables = random_bert_variables(CONFIG, seed=11)
    variables[POSITION_EMBEDDINGS] = np.zeros(shape, np.float32)
    prefix = _write(tmp_path, variables)
    message = _failed_load(finetune_model, prefix)
    assert POSITION_EMBEDDINGS in message
    assert str(shape) in message and "(16, 12)" in message


# --- stage checkpoints ----------------------------------------------------------------------

def _checkpoint(mode, retention=None):
    return StageCheckpoint(config=BertConfig.from_dict(CONFIG), task="mrpc",
                           num_labels=NUM_LABELS, seq_len=SEQ_LEN, mode=mode,
                           retention_configuration=retention)


def save_stage(model, folder, stage, checkpoint):
    return checkpoint.save(model, folder, stage).weights_path


def test_save_stage_and_load_stage_weights_round_trip(tmp_path, finetune_model):
    x = make_inputs([SEQ_LEN, 5, 3], SEQ_LEN, seed=12, vocab_size=CONFIG["vocab_size"]).inputs
    want = finetune_model(x, training=False).numpy()
    weights_path = save_stage(finetune_model, str(tmp_path), "finetune", _checkpoint("finetune"))
    assert os.path.basename(weights_path) == "finetune.hdf5"
    loaded = StageCheckpoint.load(os.path.join(str(tmp_path), "finetune.json"))
    assert loaded == _checkpoint("finetune") and loaded.weights_path == weights_path
    assert sorted(os.listdir(str(tmp_path))) == ["finetune.hdf5", "finetune.json"]
    fresh = build_model(_config(), NUM_LABELS, SEQ_LEN, mode="finetune")
    assert np.abs(fresh(x, training=False).numpy() - want).max() > 1e-6
    assert load_stage_weights(fresh, weights_path) == []
    np.testing.assert_array_equal(fresh(x, training=False).numpy(), want)

    # Into the search stage: Soft-Extract layers are new, and only they may be missing.
    search = build_model(_config(), NUM_LABELS, SEQ_LEN, mode="search")
    with pytest.raises(CheckpointError, match="Encoder-1-Soft-Extract"):
        load_stage_weights(search, weights_path)
    skipped = load_stage_weights(search, weights_path, allow_missing=(SoftExtract,))
    assert skipped == ["Encoder-1-Soft-Extract", "Encoder-2-Soft-Extract"]
    # With every retention parameter at 1 the search model computes the fine-tuned model.
    for layer in soft_extract_layers(search):
        np.testing.assert_array_equal(layer.retention.numpy(), np.ones(SEQ_LEN, np.float32))
    np.testing.assert_allclose(search(x, training=False).numpy(), want, atol=1e-6)

    # Search weights (with Soft-Extract) go into a retrain model by name.
    rng = np.random.default_rng(13)
    for layer in soft_extract_layers(search):
        layer.retention.assign(rng.uniform(0, 1, SEQ_LEN).astype(np.float32))
    search_path = save_stage(search, str(tmp_path), "search", _checkpoint("search"))
    retrain = build_model(_config(), NUM_LABELS, SEQ_LEN, mode="retrain",
                          retention_configuration=[SEQ_LEN, SEQ_LEN])
    assert load_stage_weights(retrain, search_path) == []
    np.testing.assert_allclose(retrain(x, training=False).numpy(), want, atol=1e-5)


def test_stage_weights_of_other_hidden_size_are_rejected(tmp_path, finetune_model):
    weights_path = save_stage(finetune_model, str(tmp_path), "finetune", _checkpoint("finetune"))
    other = build_model(_config(hidden_size=15), NUM_LABELS, SEQ_LEN, mode="finetune")
    before = other.get_weights()
    with pytest.raises(CheckpointError, match="finetune.hdf5"):
        load_stage_weights(other, weights_path)
    _assert_unchanged(other, before)


def test_stage_checkpoint_json_round_trip_and_first_release_format(tmp_path):
    checkpoint = dataclasses.replace(_checkpoint("retrain", (SEQ_LEN, 3)), cased=True,
                                     vocab_size=30, vocab_sha256="ab" * 32, epoch=2,
                                     dev_metrics={"f1": 0.5}, masses=[4.2, 3.1], lambda_=0.5)
    again = StageCheckpoint.from_json(json.loads(json.dumps(checkpoint.to_json())), "x.json")
    assert again == checkpoint and again.applied_retention == [SEQ_LEN, 3]
    first_release = {"bert_config": CONFIG, "task": "mrpc", "num_labels": NUM_LABELS,
                     "seq_len": SEQ_LEN, "mode": "finetune", "retention_configuration": None,
                     "cased": False, "vocab_path": "/somewhere/vocab.txt"}
    old = StageCheckpoint.from_json(first_release, "finetune.json")
    assert old.vocab_sha256 is None and old.applied_retention is None
    assert old.with_retention([4, 2]).applied_retention == [4, 2]


# A search stage's metadata as the release before typed records wrote it (format 2):
# its record as loose keys, LAMBDA as "lam", the retention configuration a second time.
SEARCH_FORMAT_2 = {
    "format_version": 2, "bert_config": CONFIG, "task": "mrpc", "num_labels": NUM_LABELS,
    "seq_len": SEQ_LEN, "mode": "search", "retention_configuration": [6, 3],
    "cased": False, "vocab_size": 30, "vocab_sha256": "ab" * 32, "vocab_path": "/v/vocab.txt",
    "epoch": 2, "dev_metrics": {"f1": 0.75}, "word_selection": "attention",
    "selection_seed": 42, "weights_sha256": "cd" * 32, "masses": [6.4, 3.2], "lam": 0.001,
    "history": [{"f1": 0.5}, {"f1": 0.75}],
    "selection": {"protocol": "selected on 25% of train held out (seed 3), reported on dev",
                  "set": "tune", "tune_fraction": 0.25, "tune_seed": 3},
    "tune_metrics": {"f1": 0.7}}


def test_stage_checkpoint_of_format_2_loads_its_record_into_fields():
    checkpoint = StageCheckpoint.from_json(SEARCH_FORMAT_2, "search.json")
    assert (checkpoint.mode, checkpoint.retention_configuration, checkpoint.epoch,
            checkpoint.dev_metrics) == ("search", (6, 3), 2, {"f1": 0.75})
    assert checkpoint.masses == [6.4, 3.2] and checkpoint.lambda_ == 0.001
    assert checkpoint.history == [{"f1": 0.5}, {"f1": 0.75}]
    assert checkpoint.tune_metrics == {"f1": 0.7}
    assert checkpoint.selection.held_out and checkpoint.selection.tune_seed == 3
    written = checkpoint.to_json()
    assert written["format_version"] == 3 and written["lambda"] == 0.001
    assert "lam" not in written
    assert StageCheckpoint.from_json(json.loads(json.dumps(written)), "search.json") == checkpoint


def test_stage_checkpoint_writes_its_fields_only_and_ignores_other_keys():
    meta = dict(_checkpoint("retrain", (SEQ_LEN, 3)).to_json(), notes="kept by hand", extra={})
    checkpoint = StageCheckpoint.from_json(meta, "retrain.json")
    assert set(checkpoint.to_json()) == {f.name for f in dataclasses.fields(StageCheckpoint)
                                   if f.name not in ("config", "retention_configuration",
                                                     "lambda_", "weights_path")} | {
        "format_version", "bert_config", "retention_configuration", "lambda"}
    with pytest.raises(CheckpointError, match="'lambda' must be a number, got 'big'"):
        StageCheckpoint.from_json(dict(meta, **{"lambda": "big"}), "retrain.json")


@pytest.mark.parametrize("key, value, text", [
    ("seq_len", "sixty-four", "'seq_len' must be an integer, got 'sixty-four'"),
    ("mode", "fine", "mode must be one of finetune, search, retrain"),
    ("retention_configuration", [4, 6], "non-increasing"),
    ("retention_configuration", "8,4", "must be a list of integers"),
    ("num_labels", True, "'num_labels' must be an integer"),
    ("bert_config", {"hidden_size": 12}, "bert_config"),
    ("format_version", 7, "format_version 7"),
])
def test_bad_stage_metadata_names_the_file_and_the_key(tmp_path, key, value, text):
    meta = dict(_checkpoint("retrain", (SEQ_LEN, 3)).to_json(), **{key: value})
    path = tmp_path / "retrain.json"
    path.write_text(json.dumps(meta), encoding="utf-8")
    (tmp_path / "retrain.hdf5").write_bytes(b"")
    with pytest.raises(CheckpointError) as info:
        StageCheckpoint.load(str(tmp_path / "retrain.hdf5"))
    assert str(path) in str(info.value) and text in str(info.value)


def test_missing_and_unreadable_stage_files(tmp_path, finetune_model):
    with pytest.raises(CheckpointError, match="model weights not found"):
        StageCheckpoint.load(str(tmp_path / "finetune.hdf5"))
    (tmp_path / "finetune.hdf5").write_bytes(b"not hdf5")
    with pytest.raises(CheckpointError, match="model metadata not found"):
        StageCheckpoint.load(str(tmp_path / "finetune.hdf5"))
    (tmp_path / "finetune.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CheckpointError, match="cannot be read as JSON"):
        StageCheckpoint.load(str(tmp_path / "finetune.json"))
    with pytest.raises(CheckpointError, match="cannot be read as Keras HDF5 weights"):
        load_stage_weights(finetune_model, str(tmp_path / "finetune.hdf5"))
