"""``--MIXED_PRECISION``: the Keras mixed-precision policies (``power_bert.precision``).

Under bfloat16 (and float16) the projections compute in half precision while attention
softmax, significance, LayerNorm, Extract/Soft-Extract, the retention parameters, the
output layer and the loss stay float32; float16 scales the loss for both optimizers of
the search. Shapes: B = batch, T = length, N = heads.
"""
import json

import numpy as np
import pytest

from power_bert import precision
from power_bert.backend import keras, tf
from power_bert.errors import UsageError
from power_bert.layers import SelfAttention, significance_scores, soft_extract_layers
from power_bert.model import build_model
from power_bert.options import Options, validate
from power_bert.retention import retention_configuration_from_masses
from power_bert.training import compile_for_stage

from helpers.inputs import make_inputs
from helpers.runs import tiny_run

LENGTHS = [10, 7, 4, 1]
LABELS = np.array([0, 1, 1, 0])


def _build(config, mode, precision_name, seq_len=10, retention=None):
    keras.utils.set_random_seed(0)
    with precision.policy(precision_name):
        return build_model(config, 2, seq_len, mode=mode, retention_configuration=retention,
                           max_len=seq_len)


def test_policy_is_restored_and_names_are_checked():
    before = keras.mixed_precision.global_policy().name
    with precision.policy("bfloat16"):
        assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
    assert keras.mixed_precision.global_policy().name == before == "float32"
    with precision.policy("bfloat16", inference=True):
        assert keras.mixed_precision.global_policy().name == "bfloat16"
    assert precision.policy_name("float16", inference=True) == "float16"
    assert precision.policy_name("none", inference=True) == "float32"
    assert keras.mixed_precision.global_policy().name == "float32"
    with pytest.raises(ValueError, match="none, float16, bfloat16"):
        precision.policy_name("float8")


def test_float32_islands_inside_a_bfloat16_model(bert_config):
    for mode, retention in (("search", None), ("retrain", [8, 5, 2])):
        model = _build(bert_config, mode, "bfloat16", retention=retention)
        attention = model.get_layer("Encoder-1-MultiHeadSelfAttention")
        output, probs = attention.output
        assert output.dtype == tf.bfloat16 and probs.dtype == tf.float32  # softmax float32
        assert model.get_layer("Encoder-1-FeedForward").output.dtype == tf.bfloat16
        for name in ("Embedding-Norm", "Encoder-1-MultiHeadSelfAttention-Norm",
                     "Encoder-1-FeedForward-Norm"):
            assert model.get_layer(name).output.dtype == tf.float32, name
        assert model.output.dtype == tf.float32
        assert all(v.dtype == tf.float32 for v in model.weights)  # float32 variables
        if mode == "search":
            soft = soft_extract_layers(model)[0]
            assert soft.compute_dtype == "float32" and soft.retention.dtype == tf.float32
        else:
            extract = model.get_layer("Encoder-1-Extract")
            assert extract.compute_dtype == "float32"
            assert extract.output[0].dtype == tf.float32


def test_attention_called_under_the_policy_returns_float32_probabilities():
    batch = make_inputs(LENGTHS, seed=1)
    with precision.policy("bfloat16"):
        layer = SelfAttention(2, name="attention")
        x = tf.random.stateless_normal([4, 10, 16], seed=[1, 2])
        output, probs = layer([x, tf.constant(batch.mask)])
    assert output.dtype == tf.bfloat16 and probs.dtype == tf.float32
    np.testing.assert_allclose(tf.reduce_sum(probs, -1).numpy(), 1.0, atol=1e-6)
    scores = significance_scores(tf.cast(probs, tf.bfloat16), batch.mask)
    assert scores.dtype == tf.float32


@pytest.mark.parametrize("mode,retention", [("finetune", None), ("retrain", [8, 5, 2])])
def test_bfloat16_predictions_agree_with_float32(bert_config, mode, retention):
    batch = make_inputs(LENGTHS * 2, seed=4)
    x = [batch.token_ids, batch.segment_ids]
    full = _build(bert_config, mode, "none", retention=retention)
    half = _build(bert_config, mode, "bfloat16", retention=retention)
    half.set_weights(full.get_weights())
    expected = full.predict_on_batch(x)
    got = half.predict_on_batch(x)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, atol=2e-2)


@pytest.mark.parametrize("name", ["bfloat16", "float16"])
@pytest.mark.parametrize("mode,retention", [("finetune", None), ("retrain", [8, 5, 2])])
def test_an_inference_model_stores_half_variables_and_predicts_as_the_mixed_one(
        tmp_path, name, mode, retention):
    """eval, predict, export and the benchmark build under the plain half policy: the
    kernels are stored in the half type instead of cast on every call; the float32
    layers keep float32 variables and the predictions are the mixed model's, bit for bit.
    The weights come from a stage checkpoint (float32 HDF5), as these commands load them."""
    from helpers.exports import SEQ_LEN, VOCAB, stage_checkpoint
    vocab_path = tmp_path / "vocab.txt"
    vocab_path.write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    task = "sst-2" if retention is None else "mrpc"
    saved, _ = stage_checkpoint(tmp_path, str(vocab_path), mode, task, mode, retention, 3)
    with precision.policy(name):
        mixed = saved.load_model(dynamic=True, name="mixed")
    with precision.policy(name, inference=True):
        plain = saved.load_model(dynamic=True, name="plain")
    assert plain.dtype_policy.name == name
    by_type = {}
    for layer in plain.layers:
        for weight in layer.weights:
            by_type.setdefault(weight.dtype.name, set()).add(layer.name)
    norms = {layer.name for layer in plain.layers if layer.name.endswith("Norm")}
    assert by_type["float32"] == norms | {"Output"}  # the float32 layers
    assert {"Embedding-Token", "Encoder-1-MultiHeadSelfAttention", "Encoder-1-FeedForward",
            "Pooler-Dense"} <= by_type[name]
    assert set(by_type) == {name, "float32"}
    batch = make_inputs([SEQ_LEN, 9, 5, 1, 12, 3], seed=6, seq_len=SEQ_LEN,
                        vocab_size=len(VOCAB))
    x = [batch.token_ids, batch.segment_ids]
    got = plain.predict_on_batch(x)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, mixed.predict_on_batch(x))


def test_the_same_masses_give_the_same_retention_configuration(bert_config):
    full = _build(bert_config, "search", "none")
    half = _build(bert_config, "search", "bfloat16")
    rng = np.random.default_rng(5)
    for a, b in zip(soft_extract_layers(full), soft_extract_layers(half)):
        values = rng.uniform(0.0, 1.0, a.max_len).astype(np.float32)
        a.retention.assign(values)
        b.retention.assign(values)
    masses = [[float(layer.mass()) for layer in soft_extract_layers(m)] for m in (full, half)]
    assert masses[0] == masses[1]
    assert (retention_configuration_from_masses(masses[0], 10)
            == retention_configuration_from_masses(masses[1], 10))


@pytest.mark.parametrize("name", ["bfloat16", "float16"])
def test_search_step_under_mixed_precision(bert_config, name):
    batch = make_inputs(LENGTHS, seed=1)
    model = _build(bert_config, "search", name)
    compile_for_stage(model, 2, lr_bert=1e-3, total_steps=10, warmup_steps=0,
                      lr_soft_extract=0.1, lambda_=0.01)
    scaled = keras.mixed_precision.LossScaleOptimizer
    assert isinstance(model.optimizer, scaled) == (name == "float16")
    assert isinstance(model.retention_optimizer, scaled) == (name == "float16")
    before = [layer.retention.numpy().copy() for layer in soft_extract_layers(model)]
    model.run_eagerly = True
    logs = model.train_on_batch([batch.token_ids, batch.segment_ids], LABELS, return_dict=True)
    assert np.isfinite(logs["loss"]) and logs["mass_loss"] > 0
    after = [layer.retention.numpy() for layer in soft_extract_layers(model)]
    assert any(not np.array_equal(a, b) for a, b in zip(before, after))  # both updated
    assert all(((r >= 0) & (r <= 1)).all() and r.dtype == np.float32 for r in after)


def test_bad_precision_is_refused_with_the_flag(tmp_path):
    options = Options(task="demo", output_dir=str(tmp_path), mixed_precision="half")
    with pytest.raises(UsageError, match="--MIXED_PRECISION must be one of none, float16, "
                                         "bfloat16, got 'half'"):
        validate(options)


@pytest.mark.slow
def test_three_stages_run_under_bfloat16(tmp_path):
    out = tiny_run(tmp_path, "--MIXED_PRECISION", "bfloat16")
    results = json.loads((out / "results.json").read_text())
    assert len(results["retention_configuration"]) == 3
    assert results["search"]["masses"] and results["power_bert"]["dev_metrics"]
    assert keras.mixed_precision.global_policy().name == "float32"  # restored
    run = json.loads((out / "latest" / "run.json").read_text())
    assert "bfloat16" in json.dumps(run)
