"""Tests of power_bert.google_ckpt (the variable table, checkpoint files) and of
power_bert.config (bert_config.json)."""
import json
import os

import numpy as np
import pytest

from power_bert import google_ckpt as gc
from power_bert.config import (CONFIG_DEFAULTS, REQUIRED_CONFIG_KEYS, BertConfig, ConfigError,
                               write_bert_config)
from power_bert.errors import CheckpointError

from helpers.tiny import tiny_config

# 3 heads of 4 (hidden 12), intermediate 20, 16 positions, 50 words: the hand-written
# shapes below tell every size apart.
CONFIG_3 = tiny_config(vocab_size=50, hidden_size=12, num_attention_heads=3,
                       intermediate_size=20, max_position_embeddings=16, initializer_range=0.02)


def test_variable_names_and_shapes_3_layers():
    # Google's format written out by hand on purpose: this is the specification the
    # table is checked against; other tests take names from the table.
    shapes = gc.google_variable_shapes(CONFIG_3)
    # 5 embedding variables + 16 per encoder + 2 pooler
    assert len(shapes) == 5 + 16 * 3 + 2
    assert shapes["bert/embeddings/word_embeddings"] == (50, 12)
    assert shapes["bert/embeddings/token_type_embeddings"] == (2, 12)
    assert shapes["bert/embeddings/position_embeddings"] == (16, 12)
    assert shapes["bert/embeddings/LayerNorm/gamma"] == (12,)
    assert shapes["bert/embeddings/LayerNorm/beta"] == (12,)
    for i in range(3):
        p = "bert/encoder/layer_%d/" % i
        for proj in ("query", "key", "value"):
            assert shapes[p + "attention/self/%s/kernel" % proj] == (12, 12)
            assert shapes[p + "attention/self/%s/bias" % proj] == (12,)
        assert shapes[p + "attention/output/dense/kernel"] == (12, 12)
        assert shapes[p + "attention/output/dense/bias"] == (12,)
        assert shapes[p + "attention/output/LayerNorm/gamma"] == (12,)
        assert shapes[p + "attention/output/LayerNorm/beta"] == (12,)
        assert shapes[p + "intermediate/dense/kernel"] == (12, 20)
        assert shapes[p + "intermediate/dense/bias"] == (20,)
        assert shapes[p + "output/dense/kernel"] == (20, 12)
        assert shapes[p + "output/dense/bias"] == (12,)
        assert shapes[p + "output/LayerNorm/gamma"] == (12,)
        assert shapes[p + "output/LayerNorm/beta"] == (12,)
    assert not any("layer_3" in n for n in shapes)
    assert shapes["bert/pooler/dense/kernel"] == (12, 12)
    assert shapes["bert/pooler/dense/bias"] == (12,)
    no_pooler = gc.google_variable_shapes(CONFIG_3, include_pooler=False)
    assert set(shapes) - set(no_pooler) == {"bert/pooler/dense/kernel", "bert/pooler/dense/bias"}


def test_layer_count_comes_from_config():
    large = dict(CONFIG_3, num_hidden_layers=24, num_attention_heads=16, hidden_size=32)
    shapes = gc.google_variable_shapes(large)
    assert "bert/encoder/layer_23/output/LayerNorm/beta" in shapes
    assert "bert/encoder/layer_24/output/LayerNorm/beta" not in shapes
    assert len(shapes) == 5 + 16 * 24 + 2


def test_checkpoint_round_trip(tmp_path):
    from power_bert.backend import tf

    variables = gc.random_bert_variables(CONFIG_3, seed=3)
    variables["bert/embeddings/LayerNorm/beta"] = variables[
        "bert/embeddings/LayerNorm/beta"].astype(np.float64)  # cast to float32 on write
    prefix = str(tmp_path / "ckpt" / "bert_model.ckpt")
    files = gc.write_checkpoint(variables, prefix)
    assert sorted(os.path.basename(f) for f in files) == [
        "bert_model.ckpt.data-00000-of-00001", "bert_model.ckpt.index"]
    assert sorted(os.listdir(tmp_path / "ckpt")) == sorted(os.path.basename(f) for f in files)

    listed = dict(tf.train.list_variables(prefix))
    assert set(listed) == set(variables)
    for name, value in variables.items():
        assert tuple(listed[name]) == value.shape
        loaded = tf.train.load_variable(prefix, name)
        assert loaded.dtype == np.float32
        np.testing.assert_array_equal(loaded, value.astype(np.float32))

    back = gc.read_checkpoint(prefix)
    assert set(back) == set(variables)
    for name in variables:
        np.testing.assert_array_equal(back[name], variables[name].astype(np.float32))
    some = gc.read_checkpoint(prefix, ["bert/pooler/dense/bias"])
    assert list(some) == ["bert/pooler/dense/bias"]
    assert gc.list_checkpoint(prefix)["bert/encoder/layer_2/output/dense/kernel"] == (20, 12)
    gc.check_variables(back, CONFIG_3, allow_extra=False)


def test_checkpoint_restores_with_tf1_saver(tmp_path):
    """A TF1 name-based Saver finds the variables by their Google names."""
    from power_bert.backend import tf

    variables = {"bert/pooler/dense/kernel": np.arange(6, dtype=np.float32).reshape(2, 3),
                 "bert/pooler/dense/bias": np.array([1.5, -2.0, 0.25], np.float32)}
    prefix = str(tmp_path / "bert_model.ckpt")
    gc.write_checkpoint(variables, prefix)
    graph = tf.Graph()
    with graph.as_default():
        with tf.compat.v1.variable_scope("bert/pooler/dense"):
            kernel = tf.compat.v1.get_variable("kernel", shape=(2, 3), dtype=tf.float32)
            bias = tf.compat.v1.get_variable("bias", shape=(3,), dtype=tf.float32)
        saver = tf.compat.v1.train.Saver([kernel, bias])
        with tf.compat.v1.Session(graph=graph) as sess:
            saver.restore(sess, prefix)
            k, b = sess.run([kernel, bias])
    np.testing.assert_array_equal(k, variables["bert/pooler/dense/kernel"])
    np.testing.assert_array_equal(b, variables["bert/pooler/dense/bias"])


def test_read_checkpoint_errors(tmp_path):
    with pytest.raises(CheckpointError, match="nothing_here"):
        gc.read_checkpoint(str(tmp_path / "nothing_here"))
    prefix = str(tmp_path / "c")
    gc.write_checkpoint({"a": np.zeros(2, np.float32)}, prefix)
    with pytest.raises(KeyError, match="bert/missing"):
        gc.read_checkpoint(prefix, ["a", "bert/missing"])
    with pytest.raises(ValueError, match="no variables"):
        gc.write_checkpoint({}, str(tmp_path / "empty"))


def test_random_variables_are_deterministic_and_distinct():
    a = gc.random_bert_variables(CONFIG_3, seed=7)
    b = gc.random_bert_variables(CONFIG_3, seed=7)
    c = gc.random_bert_variables(CONFIG_3, seed=8)
    assert list(a) == list(gc.google_variable_shapes(CONFIG_3))
    for name in a:
        assert a[name].dtype == np.float32
        np.testing.assert_array_equal(a[name], b[name])
        assert not np.array_equal(a[name], c[name])
    gamma = a["bert/encoder/layer_0/output/LayerNorm/gamma"]
    assert abs(gamma.mean() - 1.0) < 0.2 and gamma.std() > 0.01
    # no two variables of the same shape are equal, so swaps are detectable
    names = list(a)
    for i, n1 in enumerate(names):
        for n2 in names[i + 1:]:
            if a[n1].shape == a[n2].shape:
                assert not np.allclose(a[n1], a[n2]), (n1, n2)
    assert "bert/pooler/dense/kernel" not in gc.random_bert_variables(CONFIG_3, 0, False)


def test_check_variables_reports_wrong_shape_and_missing():
    variables = gc.random_bert_variables(CONFIG_3, seed=0)
    variables["bert/encoder/layer_1/intermediate/dense/kernel"] = np.zeros((20, 12), np.float32)
    del variables["bert/pooler/dense/bias"]
    with pytest.raises(CheckpointError) as err:
        gc.check_variables(variables, CONFIG_3)
    assert "bert/encoder/layer_1/intermediate/dense/kernel has shape [20, 12], expected [12, 20]" \
        in str(err.value)
    assert "missing bert/pooler/dense/bias" in str(err.value)


def test_bert_config_round_trip_and_defaults(tmp_path):
    path = str(tmp_path / "bert_config.json")
    written = write_bert_config(CONFIG_3, path)
    assert BertConfig.from_json_file(path) == written
    assert BertConfig.from_json_file(path).to_dict() == CONFIG_3
    with open(path) as f:
        assert json.load(f) == CONFIG_3
    minimal = {k: CONFIG_3[k] for k in REQUIRED_CONFIG_KEYS}
    with open(path, "w") as f:
        json.dump(minimal, f)
    cfg = BertConfig.from_json_file(path)
    assert cfg.initializer_range == 0.02 and cfg.hidden_dropout_prob == 0.1
    assert {k: getattr(cfg, k) for k in CONFIG_DEFAULTS} == CONFIG_DEFAULTS
    # numpy sizes are written as plain numbers; extra keys of a dictionary are kept
    write_bert_config(dict(CONFIG_3, hidden_size=np.int64(12), directionality="bidi"), path)
    with open(path) as f:
        assert json.load(f) == dict(CONFIG_3, directionality="bidi")


def test_missing_config_key_names_file_and_key(tmp_path):
    path = tmp_path / "bert_config.json"
    broken = dict(CONFIG_3)
    del broken["num_attention_heads"]
    path.write_text(json.dumps(broken))
    with pytest.raises(ConfigError) as err:
        BertConfig.from_json_file(str(path))
    assert str(path) in str(err.value) and "'num_attention_heads'" in str(err.value)
    with pytest.raises(ConfigError, match="nope.json"):
        BertConfig.from_json_file(str(tmp_path / "nope.json"))
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        BertConfig.from_json_file(str(path))


@pytest.mark.parametrize("key, value, expected", [
    ("hidden_size", "sixty-four", "'hidden_size' must be a positive integer, got 'sixty-four'"),
    ("num_hidden_layers", 2.0, "'num_hidden_layers' must be a positive integer"),
    ("vocab_size", True, "'vocab_size' must be a positive integer"),
    ("hidden_dropout_prob", "sixty-four", "'hidden_dropout_prob' must be a number"),
    ("attention_probs_dropout_prob", 1.5, "must be in [0, 1)"),
    ("initializer_range", None, "'initializer_range' must be a number"),
    ("hidden_act", "relu", "hidden_act 'relu'"),
])
def test_config_with_a_bad_value_names_file_and_key(tmp_path, key, value, expected):
    path = tmp_path / "bert_config.json"
    path.write_text(json.dumps(dict(CONFIG_3, **{key: value})))
    with pytest.raises(ConfigError) as err:
        BertConfig.from_json_file(str(path))
    assert str(path) in str(err.value) and expected in str(err.value)
    with pytest.raises(ConfigError, match=key):  # the same check for a dictionary
        BertConfig.from_dict(dict(CONFIG_3, **{key: value}))


def test_unreadable_config_file_is_a_config_error_naming_it(tmp_path):
    folder = tmp_path / "bert_config.json"
    folder.mkdir()
    with pytest.raises(ConfigError, match="folder") as err:
        BertConfig.from_json_file(str(folder))
    assert str(folder) in str(err.value)
    for content, expected in ((b"", "not valid JSON"), (b'{"vocab_size": 5,', "not valid JSON"),
                              (b"\xff\xfe{}", "not UTF-8"), (b"[1, 2]", "JSON object")):
        path = tmp_path / "bad.json"
        path.write_bytes(content)
        with pytest.raises(ConfigError, match=expected) as err:
            BertConfig.from_json_file(str(path))
        assert str(path) in str(err.value)


def test_heads_must_divide_hidden_size(tmp_path):
    bad = dict(CONFIG_3, hidden_size=10, num_attention_heads=3)
    with pytest.raises(ConfigError,
                       match=r"The hidden size \(10\) is not a multiple of the number of "
                             r"attention heads \(3\)"):
        gc.google_variable_shapes(bad)
    path = tmp_path / "bert_config.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(ConfigError, match="not a multiple") as err:
        BertConfig.from_json_file(str(path))
    assert str(path) in str(err.value)
    with pytest.raises(ConfigError, match="positive integer"):
        gc.google_variable_shapes(dict(CONFIG_3, num_hidden_layers=0))
    with pytest.raises(ConfigError, match="not a multiple"):
        BertConfig(vocab_size=5, hidden_size=10, num_hidden_layers=1, num_attention_heads=3,
                   intermediate_size=4)


# --- the table ------------------------------------------------------------------------------

CONFIG_LARGE_HEADS = dict(CONFIG_3, num_hidden_layers=5, num_attention_heads=4, hidden_size=16,
                          intermediate_size=24, vocab_size=31)


@pytest.mark.parametrize("config", [CONFIG_3, CONFIG_LARGE_HEADS])
def test_table_covers_exactly_the_variables_of_a_written_checkpoint(tmp_path, config):
    prefix = str(tmp_path / "bert_model.ckpt")
    gc.write_checkpoint(gc.random_bert_variables(config, seed=1), prefix)
    table = gc.variable_table(config)
    assert {row.google: row.shape for row in table} == dict(gc.list_checkpoint(prefix))
    # Google's count: 5 embedding variables, 16 per encoder, 2 for the pooler
    assert len(table) == 5 + 16 * config["num_hidden_layers"] + 2
    assert len(table) == len({row.google for row in table})
    # one row per (Keras layer, weight index), indices 0..n-1 in each layer
    slots = [(row.layer, row.index) for row in table]
    assert len(slots) == len(set(slots))
    for layer in {row.layer for row in table}:
        assert sorted(r.index for r in table if r.layer == layer) == list(
            range(sum(1 for r in table if r.layer == layer)))
    # Hugging Face names (aliases included) are unique too
    hf = [name for row in table for name in row.hf]
    assert len(hf) == len(set(hf)) == len(table) + 2 * (1 + 2 * config["num_hidden_layers"])


@pytest.mark.parametrize("config", [CONFIG_3, CONFIG_LARGE_HEADS])
def test_table_covers_exactly_the_weights_of_the_keras_model(config):
    from power_bert.model import build_model

    num_labels = 3
    model = build_model(BertConfig.from_dict(config), num_labels, 8, mode="finetune")
    table = gc.variable_table(config, num_labels=num_labels)
    for row in table:
        shape = tuple(model.get_layer(row.layer).weights[row.index].shape)
        assert (shape[::-1] if row.keras_transposed else shape) == row.shape, row
    weighted = {layer.name: len(layer.weights) for layer in model.layers if layer.weights}
    assert weighted == {layer: sum(1 for r in table if r.layer == layer)
                        for layer in {row.layer for row in table}}
    assert [row.google for row in table if row.optional] == ["output_weights", "output_bias"]


# --- unreadable checkpoint files ----------------------------------------------------------

def _one_checkpoint(tmp_path):
    prefix = str(tmp_path / "bert_model.ckpt")
    gc.write_checkpoint(gc.random_bert_variables(CONFIG_3, seed=2), prefix)
    return prefix, prefix + ".data-00000-of-00001"


def test_truncated_data_file_is_a_checkpoint_error_naming_it(tmp_path):
    prefix, data = _one_checkpoint(tmp_path)
    with open(data, "rb") as f:
        raw = f.read()
    with open(data, "wb") as f:
        f.write(raw[: len(raw) // 2])
    assert "bert/embeddings/word_embeddings" in gc.list_checkpoint(prefix)  # index intact
    with pytest.raises(CheckpointError) as err:
        gc.read_checkpoint(prefix)
    assert data in str(err.value) and "truncated" in str(err.value)


def test_garbled_data_file_is_a_checkpoint_error_naming_it(tmp_path):
    prefix, data = _one_checkpoint(tmp_path)
    size = os.path.getsize(data)
    with open(data, "wb") as f:
        f.write(b"\x00" * size)
    with pytest.raises(CheckpointError) as err:
        gc.read_checkpoint(prefix, ["bert/pooler/dense/bias"])
    assert data in str(err.value)


def test_missing_data_file_is_a_checkpoint_error_naming_it(tmp_path):
    prefix, data = _one_checkpoint(tmp_path)
    os.remove(data)
    for read in (gc.list_checkpoint, gc.read_checkpoint):
        with pytest.raises(CheckpointError) as err:
            read(prefix)
        assert data in str(err.value) and "no data file" in str(err.value)
    # one shard of several missing
    os.rename(prefix + ".index", prefix + ".index.keep")
    _one_checkpoint(tmp_path)
    os.rename(data, prefix + ".data-00000-of-00002")
    with pytest.raises(CheckpointError, match=r"bert_model\.ckpt\.data-00001-of-00002"):
        gc.read_checkpoint(prefix)


@pytest.mark.parametrize("content", [b"", b"not an index", b"\x00" * 64])
def test_garbled_index_is_a_checkpoint_error_naming_it(tmp_path, content):
    prefix, _ = _one_checkpoint(tmp_path)
    with open(prefix + ".index", "wb") as f:
        f.write(content)
    with pytest.raises(CheckpointError) as err:
        gc.read_checkpoint(prefix)
    assert prefix + ".index" in str(err.value)


def test_checkpoint_prefix_accepts_index_and_folder_and_names_what_is_missing(tmp_path):
    prefix, _ = _one_checkpoint(tmp_path)
    assert gc.checkpoint_prefix(prefix + ".index") == prefix
    assert gc.checkpoint_prefix(str(tmp_path)) == prefix
    assert gc.list_checkpoint(str(tmp_path)) == gc.list_checkpoint(prefix)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CheckpointError, match="no TensorFlow checkpoint") as err:
        gc.checkpoint_prefix(str(empty))
    assert str(empty) in str(err.value)
    gc.write_checkpoint({"a": np.zeros(2, np.float32)}, str(tmp_path / "other.ckpt"))
    with pytest.raises(CheckpointError, match="2 checkpoints"):
        gc.checkpoint_prefix(str(tmp_path))
    with pytest.raises(CheckpointError, match="nothing.ckpt.index does not exist"):
        gc.checkpoint_prefix(str(tmp_path / "nothing.ckpt"))
