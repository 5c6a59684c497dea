"""``--XLA``: training steps compiled with XLA (``model.compile(jit_compile=True)``) and
XLA inference give the same weights and predictions as without it (tiny model, no
dropout, so a step is a function of the weights and the batch only)."""
import numpy as np
import pytest

from power_bert import inference
from power_bert.commands import run_options
from power_bert.backend import keras
from power_bert.config import BertConfig
from power_bert.layers import soft_extract_layers
from power_bert.model import build_model
from power_bert.options import validate
from power_bert.training import compile_for_stage

from helpers.inputs import make_inputs

LENGTHS = [10, 7, 4, 1]
LABELS = np.array([0, 1, 1, 0])


@pytest.fixture
def no_dropout(tiny_config):
    return BertConfig.from_dict(dict(tiny_config, hidden_dropout_prob=0.0,
                                     attention_probs_dropout_prob=0.0))


def _trained_weights(config, mode, xla, batch, steps=2):
    keras.utils.set_random_seed(0)
    model = build_model(config, 2, batch.token_ids.shape[1], mode=mode)
    if mode == "search":  # retention parameters away from the bound, so they move
        rng = np.random.default_rng(1)
        for layer in soft_extract_layers(model):
            layer.retention.assign(rng.uniform(0.3, 0.9, layer.max_len).astype(np.float32))
    compile_for_stage(model, 2, lr_bert=1e-3, total_steps=10, warmup_steps=1,
                      lr_soft_extract=0.05 if mode == "search" else None, lambda_=0.01,
                      xla=xla)
    assert model._jit_compile is (True if xla else None)
    for _ in range(steps):
        model.train_on_batch([batch.token_ids, batch.segment_ids], LABELS)
    return model.get_weights()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["finetune", "search"])
def test_training_steps_with_and_without_xla_give_the_same_weights(no_dropout, mode):
    batch = make_inputs(LENGTHS, seed=2)
    plain = _trained_weights(no_dropout, mode, False, batch)
    compiled = _trained_weights(no_dropout, mode, True, batch)
    keras.utils.set_random_seed(0)
    start = build_model(no_dropout, 2, batch.token_ids.shape[1], mode=mode).get_weights()
    assert any(not np.allclose(a, b) for a, b in zip(start, plain))  # the steps moved them
    for a, b in zip(plain, compiled):
        np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("dynamic", [False, True])
def test_xla_predictions_equal_plain_predictions(bert_config, dynamic):
    batch = make_inputs(LENGTHS * 3, seed=3)
    keras.utils.set_random_seed(0)
    model = build_model(bert_config, 3, None if dynamic else batch.token_ids.shape[1],
                        mode="retrain", retention_configuration=[8, 5, 2][:bert_config
                                                                         .num_hidden_layers],
                        max_len=batch.token_ids.shape[1])
    x = [batch.token_ids, batch.segment_ids]
    plain = inference.predict(model, x, batch_size=5, dynamic=dynamic)
    # with dynamic padding, XLA's lengths rounded up to buckets (--PADDING_BUCKETS)
    compiled = inference.predict(model, x, batch_size=5, dynamic=dynamic, xla=True,
                                 bucket=4 if dynamic else 1)
    np.testing.assert_allclose(plain, compiled, atol=1e-5)


def test_xla_flag_reaches_the_options(tmp_path, capsys):
    import argparse
    for command in ("train", "eval", "predict"):
        parser = argparse.ArgumentParser()
        run_options.add_arguments(parser, command)
        base = ["--TASK", "demo", "--OUTPUT_DIR", str(tmp_path)]
        assert run_options.options_from_args(parser.parse_args(base + ["--XLA", "true"])
                                             ).xla == "true"
        assert run_options.options_from_args(parser.parse_args(
            base + ["--XLA", "false"])).xla == "false"
        assert run_options.options_from_args(parser.parse_args(base)).xla is None  # default
        assert run_options.options_from_args(parser.parse_args(
            base + ["--PADDING_BUCKETS", "32"])).padding_buckets == 32
