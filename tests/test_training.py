"""Training with dynamic padding (main.py --DYNAMIC_PADDING) takes the steps of fixed
padding (power_bert.training)."""
import numpy as np
import pytest

from power_bert import inference, training
from power_bert.backend import keras
from power_bert.config import BertConfig
from power_bert.layers import soft_extract_layers
from power_bert.model import build_model
from helpers.inputs import make_inputs
from helpers.padded_inputs import BATCH, BATCH_LENGTHS, CONFIG, LENGTHS, RETENTION, SEQ_LEN


def test_training_batches_are_cut_to_their_longest_example():
    x = make_inputs(LENGTHS, SEQ_LEN).inputs
    y = np.arange(len(LENGTHS))
    fixed = list(training.make_dataset(x, y, BATCH, seed=0, shuffle=False))
    cut = list(training.make_dataset(x, y, BATCH, seed=0, shuffle=False, dynamic=True))
    assert [int(t.shape[1]) for (t, _), _ in cut] == BATCH_LENGTHS
    assert [int(t.shape[1]) for (t, _), _ in fixed] == [SEQ_LEN] * 3
    for ((t_fix, s_fix), y_fix), ((t_cut, s_cut), y_cut) in zip(fixed, cut):
        width = int(t_cut.shape[1])
        np.testing.assert_array_equal(t_cut, t_fix[:, :width])
        np.testing.assert_array_equal(s_cut, s_fix[:, :width])
        np.testing.assert_array_equal(y_cut, y_fix)
        assert not np.asarray(t_fix[:, width:]).any()  # only padding was cut
    # Shuffled: the same batches in the same order as with fixed padding.
    fixed = list(training.make_dataset(x, y, BATCH, seed=3))
    cut = list(training.make_dataset(x, y, BATCH, seed=3, dynamic=True))
    assert [list(b[1].numpy()) for b in fixed] == [list(b[1].numpy()) for b in cut]


# Dropout off: its masks are drawn per position, so they differ between the two paddings.
NO_DROPOUT = BertConfig(**dict(CONFIG.to_dict(), hidden_dropout_prob=0.0,
                               attention_probs_dropout_prob=0.0))


@pytest.mark.slow
@pytest.mark.parametrize("mode,retention", [
    ("finetune", None), ("search", None), ("retrain", RETENTION)])
def test_dynamic_padding_trains_like_fixed_padding(mode, retention):
    """A few optimizer steps from the same weights on the same batches give the same
    weights (retention parameters included) with either padding."""
    keras.utils.set_random_seed(5)
    fixed = build_model(NO_DROPOUT, 2, SEQ_LEN, mode, retention)
    dynamic = build_model(NO_DROPOUT, 2, None, mode, retention, max_len=SEQ_LEN)
    dynamic.set_weights(fixed.get_weights())
    start = [w.copy() for w in fixed.get_weights()]
    x = make_inputs(LENGTHS, SEQ_LEN, seed=4).inputs
    y = np.array([0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1])
    for model, dynamic_padding in ((fixed, False), (dynamic, True)):
        search = mode == "search"
        # Large rates so that the steps move the weights (and the retention) visibly.
        training.compile_for_stage(model, 2, 1e-2, total_steps=6, warmup_steps=1,
                                   lr_soft_extract=0.05 if search else None,
                                   lambda_=0.01 if search else 0.0)
        training.fit(model, x, y, epochs=2, batch_size=BATCH, seed=7,
                     on_epoch_end=lambda epoch, logs: None, verbose=0,
                     dynamic=dynamic_padding)
    moved = max(np.abs(a - b).max() for a, b in zip(fixed.get_weights(), start))
    assert moved > 1e-2
    for got, want in zip(dynamic.get_weights(), fixed.get_weights()):
        np.testing.assert_allclose(got, want, atol=2e-4, rtol=0)
    if mode == "search":
        retention_fixed = soft_extract_layers(fixed)[0].retention.numpy()
        assert retention_fixed.min() < 1.0  # the search moved it
        np.testing.assert_allclose(soft_extract_layers(dynamic)[0].retention.numpy(),
                                   retention_fixed, atol=2e-4, rtol=0)
    np.testing.assert_allclose(inference.predict(dynamic, x, BATCH, dynamic=True),
                               inference.predict(fixed, x, BATCH, dynamic=False),
                               atol=1e-4, rtol=0)



def test_a_swallowed_ctrl_c_is_remembered():
    """SIGINT sets a flag besides raising KeyboardInterrupt, so an exception lost on its
    way (swallowed by code in between) can be raised again. In a fresh process: signal
    handlers belong to the main thread, which a pytest-xdist worker's tests may not run in."""
    import signal
    import subprocess
    import sys
    from pathlib import Path

    code = """
import os, signal, time
from power_bert import interrupts
with interrupts.watched():
    assert not interrupts.requested()
    try:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)  # the handler runs here
    except KeyboardInterrupt:
        pass  # the exception lost on the way
    assert interrupts.requested()
assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
signal.signal(signal.SIGINT, signal.SIG_IGN)  # a background job: left alone
with interrupts.watched():
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=str(Path(__file__).resolve().parents[1]), timeout=60,
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_training_raises_a_remembered_ctrl_c_at_the_next_step():
    from power_bert import interrupts
    from power_bert.training import StopOnCtrlC

    callback = StopOnCtrlC()
    callback.on_train_batch_end(0)  # nothing pressed: nothing raised
    interrupts._requested.set()  # as the SIGINT handler does
    try:
        with pytest.raises(KeyboardInterrupt):
            callback.on_train_batch_end(1)
        with pytest.raises(KeyboardInterrupt):
            callback.on_epoch_end(0)
    finally:
        interrupts._requested.clear()


def test_each_epoch_has_its_own_order_and_a_resumed_dataset_continues_it():
    """Epoch k's batches depend on (seed, k) only: a stage resumed at epoch 1 sees the
    batches the uninterrupted stage saw in epochs 1 and 2, not epoch 0's again."""
    n = 23
    orders = [training.epoch_order(n, seed=5, epoch=e) for e in range(3)]
    assert all(sorted(o) == list(range(n)) for o in orders)
    assert not np.array_equal(orders[0], orders[1]) and not np.array_equal(orders[1], orders[2])
    x = make_inputs([3 + i % 5 for i in range(n)], SEQ_LEN).inputs
    y = np.arange(n)

    def labels(dataset):
        return [list(batch[1].numpy()) for batch in dataset]

    whole = labels(training.make_dataset(x, y, 4, seed=5, epochs=3))
    per_epoch = training.steps_per_epoch(n, 4)
    assert [v for batch in whole[:per_epoch] for v in batch] == list(orders[0])
    resumed = labels(training.make_dataset(x, y, 4, seed=5, epochs=3, initial_epoch=1))
    assert resumed == whole[per_epoch:]


def test_dropout_masks_are_a_function_of_the_step():
    """With ``dropout_seed`` (what every stage uses) a training step's dropout masks come
    from (seed, stage, step count), not from a random state that earlier steps of the
    process moved on: a model restored to a state takes the step it took the first time
    (what a resumed run does), and another step count draws other masks."""
    from power_bert.backend import tf

    x = make_inputs(LENGTHS, SEQ_LEN).inputs
    y = np.arange(len(LENGTHS)) % 2

    def step_from_the_same_state(steps_before):
        keras.utils.set_random_seed(0)
        model = build_model(CONFIG, 2, SEQ_LEN, mode="finetune")
        training.compile_for_stage(model, 2, 1e-2, total_steps=100, warmup_steps=0,
                                   dropout_seed=11, stage="finetune")
        model.build_optimizers()
        model.optimizer.iterations.assign(7)
        weights = model.get_weights()
        moments = [v.numpy() for v in model.optimizer.variables]
        for _ in range(steps_before):  # other steps of this process, then the same state
            model.train_on_batch(x, y)
        model.set_weights(weights)
        for variable, value in zip(model.optimizer.variables, moments):
            variable.assign(value)
        model.train_on_batch(x, y)
        return model.get_weights()

    for a, b in zip(step_from_the_same_state(0), step_from_the_same_state(2)):
        np.testing.assert_array_equal(a, b)

    from power_bert.layers import StepDropout, dropout_key
    layer, ones = StepDropout(0.5, name="Some-Dropout"), tf.ones([4, 32])
    masks = []
    for step in (7, 7, 8):
        with dropout_key(tf.constant([11, step], tf.int64)):
            masks.append(layer(ones, training=True).numpy())
    np.testing.assert_array_equal(masks[0], masks[1])
    assert (masks[0] != masks[2]).any() and set(np.unique(masks[0])) == {0.0, 2.0}
    with dropout_key(tf.constant([11, 7], tf.int64)):
        np.testing.assert_array_equal(layer(ones, training=False), ones)


def test_search_reach_is_the_sum_of_the_scheduled_rates():
    # peak 0.1, 10 steps, 2 of warm-up, by hand: 0, 0.05 while warming up, then
    # 0.1 * (1 - s / 10) for s = 2..9: 0.08 + 0.07 + ... + 0.01 = 0.36
    assert training.search_reach(0.1, 10, 2) == pytest.approx(0.41)
    # 80 examples, batch 16, 2 epochs: 10 steps, 1 of warm-up: 0, then 0.09 .. 0.01
    assert training.search_reach(0.1, *training.train_steps(80, 16, 2)) == pytest.approx(0.45)
    assert training.search_reach(0.1, 1, 0) == pytest.approx(0.1)  # one step, at the peak
    for total, warmup in ((1, 0), (7, 0), (10, 1), (40, 4), (33, 33)):
        schedule = training.WarmupLinearDecay(3e-3, total, warmup)
        summed = sum(float(schedule(step)) for step in range(total))  # what Adam is given
        assert training.search_reach(3e-3, total, warmup) == pytest.approx(summed, rel=1e-5)
