"""One training routine for the three stages, with BERT's learning-rate schedule."""
from typing import Callable, Optional

import numpy as np

from power_bert import inference
from power_bert.backend import keras, tf

WARMUP_PROPORTION = 0.1
ADAM_EPSILON = 1e-6  # Google BERT's value.


@keras.utils.register_keras_serializable(package="PowerBert")
class WarmupLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Google BERT's schedule (``optimization.create_optimizer``), step by step.

    ``lr(step) = peak * step / warmup_steps`` while ``step < warmup_steps``, then
    ``peak * (1 - step / total_steps)``: the decay line starts from the peak at step 0,
    so right after warm-up the rate is ``peak * (1 - warmup / total)`` (0.9 x peak with
    10% warm-up), and it reaches 0 at ``total_steps``. ``step`` is the optimizer's
    iteration count before the update, as Google's ``global_step``.
    """

    def __init__(self, peak: float, total_steps: int, warmup_steps: int):
        super().__init__()
        self.peak = float(peak)
        self.total_steps = max(1, int(total_steps))
        self.warmup_steps = max(0, min(int(warmup_steps), self.total_steps))

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        warmup = tf.cast(self.warmup_steps, tf.float32)
        total = tf.cast(self.total_steps, tf.float32)
        rising = self.peak * step / tf.maximum(warmup, 1.0)
        falling = self.peak * (1.0 - tf.minimum(step, total) / total)
        return tf.where(step < warmup, rising, falling)

    def get_config(self):
        return {"peak": self.peak, "total_steps": self.total_steps,
                "warmup_steps": self.warmup_steps}


def train_steps(num_examples: int, batch_size: int, epochs: int):
    """(total steps, warm-up steps) with keras-bert's helper (10% warm-up)."""
    from keras_bert import calc_train_steps
    total, warmup = calc_train_steps(num_examples, batch_size=batch_size, epochs=epochs,
                                     warmup_proportion=WARMUP_PROPORTION)
    return int(total), int(warmup)


def adam(peak_lr: float, total_steps: int, warmup_steps: int):
    return keras.optimizers.Adam(
        learning_rate=WarmupLinearDecay(peak_lr, total_steps, warmup_steps),
        epsilon=ADAM_EPSILON)


def compile_for_stage(model, num_labels: int, lr_bert: float, total_steps: int,
                      warmup_steps: int, lr_soft_extract: Optional[float] = None,
                      mass_lambda: float = 0.0):
    """Compiles with Adam (BERT schedule); in the search stage also gives the retention
    parameters their own Adam at ``lr_soft_extract`` and sets lambda."""
    if num_labels == 1:
        loss, metrics = "mean_squared_error", []
    else:
        loss, metrics = "sparse_categorical_crossentropy", ["sparse_categorical_accuracy"]
    model.compile(optimizer=adam(lr_bert, total_steps, warmup_steps), loss=loss,
                  metrics=metrics)
    if lr_soft_extract is not None:
        model.configure_search(mass_lambda, adam(lr_soft_extract, total_steps, warmup_steps))


def _cut_to_longest(inputs, lengths, y):
    """Cuts a batch ``((token_ids [B, N], segment_ids [B, N]), real lengths [B], y)`` to
    its longest real example (at least one column)."""
    token_ids, segment_ids = inputs
    length = tf.maximum(tf.reduce_max(lengths), 1)
    return (token_ids[:, :length], segment_ids[:, :length]), y


def make_dataset(x, y, batch_size: int, seed: int, shuffle: bool = True,
                 dynamic: bool = False):
    """Seeded, reshuffled batches; with ``dynamic`` each batch is cut to its longest real
    example (``inference.real_lengths``; the batches themselves are the same as with fixed
    padding)."""
    if dynamic:
        lengths = inference.real_lengths(x[0]).astype(np.int32)
        data = tf.data.Dataset.from_tensor_slices(((x[0], x[1]), lengths, y))
    else:
        data = tf.data.Dataset.from_tensor_slices(((x[0], x[1]), y))
    if shuffle:
        data = data.shuffle(len(y), seed=seed, reshuffle_each_iteration=True)
    data = data.batch(batch_size)
    if dynamic:
        data = data.map(_cut_to_longest)
    return data.prefetch(2)


class EpochEnd(keras.callbacks.Callback):
    """Calls ``handler(epoch (1-based), logs)`` after each epoch; the handler evaluates
    the dev set, logs and saves checkpoints."""

    def __init__(self, handler: Callable[[int, dict], None]):
        super().__init__()
        self.handler = handler

    def on_epoch_end(self, epoch, logs=None):
        self.handler(epoch + 1, dict(logs or {}))


def fit(model, train_x, train_y, epochs: int, batch_size: int, seed: int,
        on_epoch_end: Callable[[int, dict], None], verbose: int = 1, dynamic: bool = False):
    """Trains with a seeded shuffle; ``on_epoch_end`` runs after every epoch. With
    ``dynamic`` (a model built with ``seq_len=None``) each batch is cut to its longest
    real example: the same loss and gradients as fixed padding, since padded keys get no
    attention, significance ranks padding last and the mass regulariser does not depend
    on the data; only dropout masks differ, as they are drawn per position."""
    dataset = make_dataset(train_x, train_y, batch_size, seed, dynamic=dynamic)
    return model.fit(dataset, epochs=epochs, verbose=verbose,
                     callbacks=[EpochEnd(on_epoch_end)])
