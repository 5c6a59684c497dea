"""Wiring of the configuration-search stage (DESIGN.md items 4, 5 and 7): the retention
parameters stay in [0, 1] however hard they are pushed, and the regulariser moves encoder
j's parameters by exactly lambda * j per unit of learning rate.

Both tests go through ``PowerBertModel.train_step`` (``train_on_batch``), as training does,
run eagerly: the same Python step without the cost of tracing it (seconds instead of tens of
seconds on a 2-core machine). Shapes: B = batch, T = sequence length.
"""
import numpy as np
import pytest

from power_bert.backend import keras
from power_bert.config import BertConfig
from power_bert.layers import soft_extract_layers
from power_bert.model import build_model
from power_bert.training import compile_for_stage

from helpers.inputs import make_inputs

LENGTHS = [10, 7, 4, 1]
SEQ_LEN = max(LENGTHS)
LABELS = np.array([0, 1, 1, 0])


@pytest.fixture(autouse=True)
def _seeded():
    keras.utils.set_random_seed(0)


@pytest.fixture
def no_dropout(tiny_config):
    """Without dropout the task loss and its gradient are a function of the weights only."""
    return BertConfig.from_dict(dict(tiny_config, hidden_dropout_prob=0.0,
                                     attention_probs_dropout_prob=0.0))


def _retention(model):
    """Every encoder's retention parameters, in encoder order (j = 1, 2, ...)."""
    return [layer.retention.numpy().copy() for layer in soft_extract_layers(model)]


def _set_retention(model, low, high, seed):
    rng = np.random.default_rng(seed)
    for layer in soft_extract_layers(model):
        layer.retention.assign(rng.uniform(low, high, layer.max_len).astype(np.float32))


def test_retention_parameters_stay_in_unit_interval_when_driven_hard(bert_config):
    """A negative lambda pushes every parameter up, a positive one with a large
    LR_SOFT_EXTRACT down; after each step every parameter is still in [0, 1], and the
    push was strong enough to take all of them to the bound."""
    model = build_model(bert_config, 2, SEQ_LEN, mode="search")
    _set_retention(model, 0.2, 0.9, seed=1)
    inputs = make_inputs(LENGTHS, seed=1).inputs
    for lambda_, bound in ((-10.0, 1.0), (10.0, 0.0)):
        # Adam moves each parameter by about LR_SOFT_EXTRACT per step in the direction of
        # the regulariser (lambda * j dominates the task gradient): 3 steps of 0.5 cross
        # the bound from anywhere in [0, 1].
        compile_for_stage(model, 2, lr_bert=1e-4, total_steps=100, warmup_steps=0,
                          lr_soft_extract=0.5, lambda_=lambda_)
        model.run_eagerly = True  # set after compile, which resets it
        for step in range(3):
            logs = model.train_on_batch(inputs, LABELS, return_dict=True)
            assert np.isfinite(logs["loss"])
            for j, r in enumerate(_retention(model), start=1):
                assert r.min() >= 0.0 and r.max() <= 1.0, (
                    "lambda %g, step %d: encoder %d retention in [%g, %g]"
                    % (lambda_, step + 1, j, r.min(), r.max()))
        reached = np.concatenate(_retention(model)) == bound
        assert reached.all(), "lambda %g: %d of %d parameters at %g" % (
            lambda_, reached.sum(), reached.size, bound)


def test_regulariser_moves_encoder_j_by_exactly_lr_lambda_j(no_dropout):
    """loss = task loss + lambda * sum_j j * mass(j), mass(j) = sum_k r_j[k], so with
    plain SGD at rate eta one step moves each r_j[k] by -eta * (task gradient + lambda * j).
    The same step from the same weights with lambda = 0 isolates the task gradient: the
    difference of the two results is -eta * lambda * j, for every parameter of every
    encoder (a parameter clipped at 0 or 1 in either run is left out)."""
    eta, lambda_ = 0.1, 0.05
    max_len = SEQ_LEN + 2  # ranks 10 and 11 have no word: their task gradient is 0
    model = build_model(no_dropout, 2, SEQ_LEN, mode="search", max_len=max_len)
    _set_retention(model, 0.3, 0.7, seed=2)
    start = [w.copy() for w in model.get_weights()]
    start_r = _retention(model)
    inputs = make_inputs(LENGTHS, seed=2).inputs
    after = {}
    for lambda_ in (0.0, lambda_):
        model.set_weights(start)
        # A traced train step captures lambda and the optimizers: compile resets it.
        compile_for_stage(model, 2, lr_bert=1e-3, total_steps=10, warmup_steps=0)
        model.configure_search(lambda_, keras.optimizers.SGD(learning_rate=eta, momentum=0.0))
        model.run_eagerly = True
        model.train_on_batch(inputs, LABELS)
        after[lambda_] = _retention(model)
    layers = soft_extract_layers(model)
    assert [layer.layer_index for layer in layers] == list(range(1, 4))
    free_total = 0
    for j, r0, r_lam, r_start in zip((1, 2, 3), after[0.0], after[lambda_], start_r):
        # The task loss did move the used ranks (so the difference below is not trivial)
        # and left the unused ones alone.
        assert np.abs(r0[:SEQ_LEN] - r_start[:SEQ_LEN]).max() > 1e-4
        np.testing.assert_array_equal(r0[SEQ_LEN:], r_start[SEQ_LEN:])
        free = (r0 > 0) & (r0 < 1) & (r_lam > 0) & (r_lam < 1)
        free_total += free.sum()
        delta = r_lam.astype(np.float64) - r0
        want = -eta * lambda_ * j
        np.testing.assert_allclose(delta[free], np.full(free.sum(), want), rtol=0, atol=1e-6,
                                   err_msg="encoder %d: regulariser step" % j)
    assert free_total == 3 * max_len  # none clipped with these rates
