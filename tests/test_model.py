"""Tests of power_bert.model: numerics against the numpy BERT, padding invariance, sizes
read from the config (16 heads, 14 layers), per-variable learning rates, dropout.
"""
import numpy as np
import pytest

from power_bert.backend import keras, tf
from power_bert.config import BertConfig
from power_bert.google_ckpt import load_google_checkpoint
from power_bert.layers import (Extract, SelfAttention, significance_scores,
                               soft_extract_layers)
from power_bert.model import build_model
from power_bert.training import WarmupLinearDecay, compile_for_stage

from helpers.inputs import make_inputs
from helpers.numpy_bert import bert_forward

SEQ_LEN = 10
RETENTION = [7, 4, 2]


@pytest.fixture(autouse=True)
def _seeded():
    """Fresh weights (build_model draws seeds from numpy's global generator) are the same
    in every run, whatever the test order."""
    keras.utils.set_random_seed(0)


def _loaded(google_bert, mode, seq_len=SEQ_LEN, **kwargs):
    """A model of ``mode`` with the tiny Google checkpoint loaded (head left random)."""
    config = BertConfig.from_dict(google_bert.config)
    model = build_model(config, 3, seq_len, mode=mode, **kwargs)
    info = load_google_checkpoint(model, config, google_bert.ckpt_prefix,
                                  vocab_path=google_bert.vocab_path)
    assert info["classifier_loaded"] is False
    assert info["variables_loaded"] == 5 + 16 * config.num_hidden_layers + 2
    return model


def _submodel(model, names):
    return keras.Model(model.inputs, [model.get_layer(n).output for n in names])


# --- numerics against the independent numpy BERT -----------------------------------------

def test_finetune_model_reproduces_numpy_bert(google_bert, token_batch):
    model = _loaded(google_bert, "finetune")
    assert token_batch.token_ids.shape == (4, SEQ_LEN)
    last = "Encoder-%d-FeedForward-Norm" % google_bert.config["num_hidden_layers"]
    pooled, sequence = _submodel(model, ["Pooler-Dense", last])(token_batch.inputs,
                                                                 training=False)
    want = bert_forward(google_bert.variables, google_bert.config, *token_batch.inputs,
                        token_batch.mask)
    assert pooled.shape == (4, 16) and sequence.shape == (4, SEQ_LEN, 16)  # [B, H], [B, T, H]
    np.testing.assert_allclose(pooled.numpy(), want["pooled_output"], atol=1e-4)
    real = token_batch.mask > 0
    np.testing.assert_allclose(sequence.numpy()[real], want["sequence_output"][real], atol=1e-4)
    # The checkpoint really moved the outputs (not a comparison of two defaults).
    assert np.abs(want["pooled_output"]).max() > 0.1


def test_retrain_model_reproduces_numpy_bert_with_extraction(google_bert):
    variables, config = google_bert.variables, google_bert.config
    model = _loaded(google_bert, "retrain", retention_configuration=RETENTION)
    batch = make_inputs([10, 8, 5, 2], seed=2)
    tokens, segments, mask = batch.token_ids, batch.segment_ids, batch.mask
    names = ["Pooler-Dense"] + ["Encoder-%d-Extract" % j for j in (1, 2, 3)]
    outputs = _submodel(model, names)([tokens, segments], training=False)
    want = bert_forward(variables, config, tokens, segments, mask,
                        retention_configuration=RETENTION)
    np.testing.assert_allclose(outputs[0].numpy(), want["pooled_output"], atol=1e-4)
    for j, (extracted, extracted_mask, _) in enumerate(outputs[1:]):
        assert extracted.shape == (4, RETENTION[j], 16)  # [B, l_j, H]
        np.testing.assert_array_equal(extracted_mask.numpy().sum(-1),
                                      np.minimum(RETENTION[j], [10, 8, 5, 2]))
        want_mask = np.take_along_axis(mask, want["kept_positions"][j], axis=1)
        np.testing.assert_array_equal(extracted_mask.numpy(), want_mask)
    # Extraction changes the result: the full model gives another pooled output.
    full = bert_forward(variables, config, tokens, segments, mask)["pooled_output"]
    assert np.abs(full - want["pooled_output"]).max() > 1e-3


# --- the model that only predicts ---------------------------------------------------------

@pytest.mark.parametrize("selection", ["attention", "head", "random"])
@pytest.mark.parametrize("seq_len", [SEQ_LEN, None])
def test_the_inference_model_keeps_the_same_words_before_the_output_projection(
        google_bert, selection, seq_len):
    """``inference=True`` moves each Extract into its attention layer, before the output
    projection: the same kept positions and predictions as the trained order, with the
    projection, residual and LayerNorm on the kept words only."""
    kwargs = dict(retention_configuration=RETENTION, word_selection=selection,
                  selection_seed=5, max_len=SEQ_LEN)
    trained = _loaded(google_bert, "retrain", seq_len=seq_len, **kwargs)
    trained.get_layer("Output").set_weights(
        [np.random.default_rng(1).normal(0, 0.5, w.shape).astype("float32")
         for w in trained.get_layer("Output").get_weights()])
    served = build_model(BertConfig.from_dict(google_bert.config), 3, seq_len, mode="retrain",
                         inference=True, **kwargs)
    assert not any(isinstance(layer, Extract) for layer in served.layers)
    for layer in served.layers:
        if layer.weights:
            layer.set_weights(trained.get_layer(layer.name).get_weights())
    names = ["Encoder-%d-MultiHeadSelfAttention" % j for j in (1, 2, 3)]
    batches = [make_inputs([10, 8, 5, 2], seed=2)]
    if seq_len is None:  # a batch shorter than l_1: nothing eliminated in encoder 1
        batches.append(make_inputs([6, 3], seed=4))
    for batch in batches:
        tokens, segments = batch.inputs
        want = trained([tokens, segments], training=False).numpy()
        got = served([tokens, segments], training=False).numpy()
        np.testing.assert_allclose(got, want, atol=1e-6)
        assert np.abs(want - want.mean(0)).max() > 1e-3  # the examples differ
        kept_want = _submodel(trained, ["Encoder-%d-Extract" % j for j in (1, 2, 3)])(
            [tokens, segments], training=False)
        kept_got = _submodel(served, names)([tokens, segments], training=False)
        for (_, mask_want, indices_want), (projected, _, mask_got, indices_got) in zip(
                kept_want, kept_got):
            np.testing.assert_array_equal(indices_got.numpy(), indices_want.numpy())
            np.testing.assert_array_equal(mask_got.numpy(), mask_want.numpy())
            assert projected.shape[1] == indices_want.shape[1]  # [B, K, H]: kept words only
    if seq_len is not None:
        assert [served.get_layer(n).output[0].shape[1] for n in names] == RETENTION


# --- padding invariance -------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["finetune", "retrain"])
def test_padding_changes_neither_significance_nor_prediction(google_bert, mode):
    kwargs = {"retention_configuration": [6, 4, 2]} if mode == "retrain" else {}
    real = [8, 5, 3]
    short = make_inputs(real, seed=3)
    results, head = [], None
    for batch in (short, short.padded(4)):
        tokens, segments = batch.inputs
        model = _loaded(google_bert, mode, seq_len=tokens.shape[1], **kwargs)
        if head is None:  # the classifier head is not in the checkpoint: share it
            head = model.get_layer("Output").get_weights()
        model.get_layer("Output").set_weights(head)
        names = ["Output"] + ["Encoder-%d-MultiHeadSelfAttention" % j for j in (1, 2)]
        if mode == "retrain":
            names.append("Encoder-1-Extract")
        outs = _submodel(model, names)([tokens, segments], training=False)
        masks = [(tokens > 0).astype(np.float32)]
        masks.append(outs[3][1].numpy() if mode == "retrain" else masks[0])
        scores = [significance_scores(outs[1 + j][1], masks[j]).numpy() for j in (0, 1)]
        results.append((outs[0].numpy(), scores, masks))
    (short_pred, short_scores, short_masks), (long_pred, long_scores, long_masks) = results
    np.testing.assert_allclose(long_pred, short_pred, atol=1e-5)
    for j in (0, 1):
        for b in range(len(real)):
            s_real, l_real = short_masks[j][b] > 0, long_masks[j][b] > 0
            assert s_real.sum() == l_real.sum() > 0
            np.testing.assert_allclose(long_scores[j][b][l_real], short_scores[j][b][s_real],
                                       atol=1e-5)


@pytest.mark.parametrize("mode", ["search", "retrain"])
def test_dynamic_length_model_ignores_padding(bert_config, mode):
    kwargs = {"retention_configuration": [4, 2, 1]} if mode == "retrain" else {}
    model = build_model(bert_config, 3, None, mode=mode, max_len=12, **kwargs)
    rng = np.random.default_rng(9)
    for layer in soft_extract_layers(model):
        assert layer.retention.shape == (12,)
        layer.retention.assign(rng.uniform(0, 1, 12).astype(np.float32))
    batch = make_inputs([6, 5, 3], seed=10)
    short = model(batch.inputs, training=False).numpy()
    for extra in (2, 6):
        padded = batch.padded(extra).inputs
        np.testing.assert_allclose(model(padded, training=False).numpy(), short, atol=1e-5)


# --- sizes come from the config -----------------------------------------------------------

@pytest.mark.parametrize("sizes,retention", [
    (dict(num_hidden_layers=14, num_attention_heads=16, hidden_size=32, intermediate_size=16),
     [8, 8, 7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 1]),
    (dict(num_hidden_layers=2, num_attention_heads=2, hidden_size=8, intermediate_size=12),
     [5, 2]),
])
def test_models_build_for_several_shapes_in_all_modes(tiny_config, sizes,
                                                     retention):
    config = BertConfig.from_dict(dict(tiny_config, max_position_embeddings=8, **sizes))
    layers, heads, hidden = (sizes["num_hidden_layers"], sizes["num_attention_heads"],
                             sizes["hidden_size"])
    tokens, segments = make_inputs([8, 6], seed=4).inputs
    for mode in ("finetune", "search", "retrain"):
        kwargs = {"retention_configuration": retention} if mode == "retrain" else {}
        model = build_model(config, 4, 8, mode=mode, **kwargs)
        attention = [layer for layer in model.layers if isinstance(layer, SelfAttention)]
        assert len(attention) == layers
        assert all(layer.head_num == heads for layer in attention)
        assert len(soft_extract_layers(model)) == (layers if mode == "search" else 0)
        names = ["Output", "Encoder-1-MultiHeadSelfAttention",
                 "Encoder-%d-MultiHeadSelfAttention" % layers]
        if mode == "retrain":
            names += ["Encoder-%d-Extract" % j for j in range(1, layers + 1)]
        outs = _submodel(model, names)([tokens, segments], training=False)
        assert outs[0].shape == (2, 4)  # [B, classes]
        np.testing.assert_allclose(outs[0].numpy().sum(-1), np.ones(2), atol=1e-5)
        assert outs[1][1].shape == (2, heads, 8, 8)  # [B, N, F, T]
        last_len = retention[-2] if mode == "retrain" else 8
        assert outs[2][1].shape == (2, heads, last_len, last_len)
        if mode == "retrain":
            lengths = [extracted[0].shape[1] for extracted in outs[3:]]
            assert lengths == retention
            assert all(extracted[0].shape == (2, l, hidden)
                       for extracted, l in zip(outs[3:], retention))


def test_regression_head_has_one_linear_output(bert_config):
    model = build_model(bert_config, 1, 8, mode="finetune")
    inputs = make_inputs([8, 4, 2], seed=5).inputs
    out = model(inputs, training=False).numpy()
    assert out.shape == (3, 1)  # [B, 1]
    pooled = _submodel(model, ["Pooler-Dense"])(inputs, training=False).numpy()  # [B, H]
    kernel, bias = model.get_layer("Output").get_weights()
    np.testing.assert_allclose(out, pooled @ kernel + bias, atol=1e-6)


def test_feed_forward_kernels_are_initialised_independently(bert_config):
    model = build_model(bert_config, 3, 8, mode="finetune")
    w1, _, w2, _ = model.get_layer("Encoder-1-FeedForward").get_weights()  # [H, I], [I, H]
    assert w1.shape == (16, 32) and w2.shape == (32, 16)
    assert not np.array_equal(w1.ravel(), w2.ravel())
    # and no two encoders share their kernels
    w1_b = model.get_layer("Encoder-2-FeedForward").get_weights()[0]
    assert not np.array_equal(w1, w1_b)


# --- learning rates -----------------------------------------------------------------------

def google_bert_lr(peak, step, total, warmup):
    """google-research/bert optimization.create_optimizer, in plain Python."""
    decayed = peak * (1.0 - min(step, total) / total)  # polynomial_decay, power 1, end 0
    if warmup and step < warmup:
        return peak * step / warmup
    return decayed


def test_warmup_linear_decay_schedule_is_google_berts():
    schedule = WarmupLinearDecay(peak=2.0, total_steps=12, warmup_steps=4)
    lr = np.array([float(schedule(step)) for step in range(15)])
    expected = np.array([google_bert_lr(2.0, step, 12, 4) for step in range(15)])
    np.testing.assert_allclose(lr, expected, atol=1e-6)
    # After the warm-up the decay line starts from the peak at step 0: 2 * (1 - 4/12).
    assert lr[4] == pytest.approx(2.0 * 8 / 12)
    assert lr[3] == pytest.approx(2.0 * 3 / 4)
    assert lr[12] == pytest.approx(0.0, abs=1e-7) and lr[14] == pytest.approx(0.0, abs=1e-7)
    no_warmup = WarmupLinearDecay(peak=1e-3, total_steps=1, warmup_steps=0)
    assert float(no_warmup(0)) == pytest.approx(1e-3)


def _weights(model, layer_name, index=0):
    return model.get_layer(layer_name).get_weights()[index].copy()


def test_search_step_uses_lr_soft_extract_for_retention_and_lr_bert_elsewhere(google_bert):
    model = _loaded(google_bert, "search")
    compile_for_stage(model, 3, lr_bert=1e-5, total_steps=1, warmup_steps=0,
                      lr_soft_extract=1e-2, lambda_=0.05)
    tokens, segments = make_inputs([10, 6, 4, 9], seed=6).inputs
    labels = np.array([0, 1, 2, 1])
    soft = soft_extract_layers(model)
    before_r = [layer.retention.numpy().copy() for layer in soft]
    before_q = _weights(model, "Encoder-1-MultiHeadSelfAttention")  # Wq [H, H]
    before_ffn = _weights(model, "Encoder-2-FeedForward")  # W1 [H, I]
    model.train_on_batch([tokens, segments], labels)
    after_r = [layer.retention.numpy() for layer in soft]
    delta_r = np.abs(np.concatenate(after_r) - np.concatenate(before_r))
    moved = delta_r[delta_r > 0]
    assert moved.size > 0
    assert 0.5e-2 <= moved.max() <= 1.01e-2, moved.max()
    for r in after_r:
        assert r.min() >= 0.0 and r.max() <= 1.0
    for before, name in ((before_q, "Encoder-1-MultiHeadSelfAttention"),
                         (before_ffn, "Encoder-2-FeedForward")):
        delta = np.abs(_weights(model, name) - before).max()
        assert 0.5e-5 <= delta <= 1.01e-5, (name, delta)


def test_finetune_step_moves_bert_weights_at_lr_bert(google_bert):
    model = _loaded(google_bert, "finetune")
    compile_for_stage(model, 3, lr_bert=2e-4, total_steps=1, warmup_steps=0)
    model.run_eagerly = True  # same train_step, without the cost of tracing it
    tokens, segments = make_inputs([10, 6, 4, 9], seed=7).inputs
    labels = np.array([2, 1, 0, 1])
    names = ["Embedding-Token", "Encoder-1-MultiHeadSelfAttention", "Encoder-3-FeedForward",
             "Pooler-Dense", "Output"]
    before = [_weights(model, n) for n in names]
    model.train_on_batch([tokens, segments], labels)
    for name, b in zip(names, before):
        delta = np.abs(_weights(model, name) - b).max()
        assert 1e-4 <= delta <= 2.02e-4, (name, delta)


# --- dropout ------------------------------------------------------------------------------

def test_dropout_is_off_in_inference(tiny_config):
    config = BertConfig.from_dict(dict(tiny_config, hidden_dropout_prob=0.3,
                                       attention_probs_dropout_prob=0.3))
    model = build_model(config, 3, 8, mode="search")
    tokens, segments = make_inputs([8, 6, 4], seed=8).inputs
    first = model.predict([tokens, segments], verbose=0)
    second = model.predict([tokens, segments], verbose=0)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(model([tokens, segments], training=False).numpy(), first,
                               atol=1e-6)
    # Control: with training=True the dropouts do change the output.
    tf.random.set_seed(0)
    pooled = _submodel(model, ["Pooler-Dense"])
    a = pooled([tokens, segments], training=True).numpy()
    b = pooled([tokens, segments], training=False).numpy()
    assert np.abs(a - b).max() > 1e-3
