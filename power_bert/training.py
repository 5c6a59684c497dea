"""One training routine for the three stages, with BERT's learning-rate schedule."""
import math
from typing import Callable, Optional

import numpy as np

from power_bert import inference, interrupts
from power_bert.backend import keras, tf
from power_bert.errors import TrainingDiverged

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


def search_reach(lr_soft_extract: float, total_steps: int, warmup_steps: int) -> float:
    """The largest total drop of a retention parameter over the search stage: the sum of
    the scheduled learning rate ``WarmupLinearDecay(lr_soft_extract, total_steps,
    warmup_steps)`` over the optimizer steps 0 .. total - 1.

    Why the sum: Adam's update is ``lr * m_hat / (sqrt(v_hat) + eps)``, and
    ``|m_hat| / sqrt(v_hat)`` is about 1 (at most 1) while the gradients keep one sign and
    a steady size, as the mass term's pull ``LAMBDA * j`` does; so a parameter moves by at
    most about lr a step. (Gradients that grow suddenly can make one step up to
    ``lr * (1 - beta_1) / sqrt(1 - beta_2)``, 3.2 x lr with Keras' betas, Kingma & Ba
    section 2.1; gradients that change sign make it smaller.)

    The sum is taken in closed form, exactly as the schedule computes each step (its own
    clamping of the step counts): the warm-up ``sum_{s<w} peak * s / w = peak * (w - 1) / 2``
    and the decay ``sum_{s=w}^{T-1} peak * (1 - s / T) = peak * (T - w) (T - w + 1) / (2 T)``,
    so the figure costs nothing however many steps it extrapolates to.

    Args:
      lr_soft_extract: the peak learning rate of the retention parameters.
      total_steps, warmup_steps: the stage's steps (``train_steps``).

    Returns:
      The drop (in units of a retention parameter, which starts at 1).
    """
    schedule = WarmupLinearDecay(lr_soft_extract, total_steps, warmup_steps)
    total, warmup = schedule.total_steps, schedule.warmup_steps
    rising = warmup * (warmup - 1) / (2.0 * max(warmup, 1))
    falling = (total - warmup) * (total - warmup + 1) / (2.0 * total)
    return schedule.peak * (rising + falling)


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
                      lambda_: float = 0.0, xla: bool = False,
                      dropout_seed: Optional[int] = None, stage: str = "training"):
    """Compiles with Adam (BERT schedule); in the search stage also gives the retention
    parameters their own Adam at ``lr_soft_extract`` and sets lambda. ``xla`` compiles
    the training step with XLA (``jit_compile=True``; off: Keras' default, no XLA).
    ``dropout_seed``: dropout masks drawn from (this seed, ``stage``, the step)
    (``PowerBertModel.configure_dropout``), so a resumed stage trains as an uninterrupted
    one; None: Keras' own dropout."""
    if num_labels == 1:
        loss, metrics = "mean_squared_error", []
    else:
        loss, metrics = "sparse_categorical_crossentropy", ["sparse_categorical_accuracy"]
    model.compile(optimizer=adam(lr_bert, total_steps, warmup_steps), loss=loss,
                  metrics=metrics, jit_compile=True if xla else None)  # None: Keras' default
    # The logs of a training step (loss, metrics: results of variables synchronised over
    # every replica; the mass term: the same on every replica) hold the global value on
    # each replica: take the first, as Keras does on TPUs. Keras' default ("auto": a sum
    # under a multi-worker strategy) logged twice the search stage's loss, accuracy and
    # mass term on two workers.
    model.distribute_reduction_method = "first"
    if dropout_seed is not None:
        model.configure_dropout(dropout_seed, stage)
    if lr_soft_extract is not None:
        model.configure_search(lambda_, adam(lr_soft_extract, total_steps, warmup_steps))


def epoch_order(num_examples: int, seed: int, epoch: int) -> np.ndarray:
    """The example order of ``epoch`` (0-based): a permutation that depends only on
    (seed, epoch), so a run resumed at epoch k sees exactly the batches it would have."""
    return np.random.RandomState([int(seed), int(epoch)]).permutation(num_examples)


def make_dataset(x, y, batch_size: int, seed: int, shuffle: bool = True,
                 dynamic: bool = False, epochs: int = 1, initial_epoch: int = 0):
    """The batches of epochs ``initial_epoch .. epochs - 1``, one epoch after the other.

    Each epoch's order is ``epoch_order(N, seed, epoch)`` (the file order without
    ``shuffle``); a batch never spans two epochs. With ``dynamic`` each batch is cut to
    its longest real example (``inference.real_lengths``; otherwise the same batches as
    with fixed padding).
    """
    n = len(y)
    orders = np.stack([epoch_order(n, seed, e) if shuffle else np.arange(n)
                       for e in range(initial_epoch, epochs)]).astype(np.int64)  # [E, N]
    token_ids, segment_ids = tf.constant(x[0]), tf.constant(x[1])  # [N, T]
    labels = tf.constant(y)
    lengths = tf.constant(inference.real_lengths(x[0]).astype(np.int32))  # [N]

    def gather(index):  # index [B]
        tokens, segments = tf.gather(token_ids, index), tf.gather(segment_ids, index)
        if dynamic:
            length = tf.maximum(tf.reduce_max(tf.gather(lengths, index)), 1)
            tokens, segments = tokens[:, :length], segments[:, :length]
        return (tokens, segments), tf.gather(labels, index)

    batches = tf.data.Dataset.from_tensor_slices(orders).flat_map(
        lambda order: tf.data.Dataset.from_tensor_slices(order).batch(batch_size))
    # Under a multi-worker strategy Keras splits every global batch into one slice per
    # replica and each worker keeps its own slices (sharding by data: the data is in
    # memory, there are no files to share out), so the replicas together see exactly the
    # batches of one-device training.
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.DATA)
    return batches.map(gather).prefetch(2).with_options(options)


def steps_per_epoch(num_examples: int, batch_size: int) -> int:
    return -(-int(num_examples) // int(batch_size))


class EpochEnd(keras.callbacks.Callback):
    """Calls ``handler(epoch (1-based), logs)`` after each epoch; the handler evaluates
    the dev set, logs and saves checkpoints."""

    def __init__(self, handler: Callable[[int, dict], None]):
        super().__init__()
        self.handler = handler

    def on_epoch_end(self, epoch, logs=None):
        self.handler(epoch + 1, dict(logs or {}))


class StopOnCtrlC(keras.callbacks.Callback):
    """Raises KeyboardInterrupt after the step or epoch in which Ctrl-C was pressed, in
    case the one Python raised was swallowed on the way (``interrupts``)."""

    def on_train_batch_end(self, batch, logs=None):
        interrupts.check()

    def on_epoch_end(self, epoch, logs=None):
        interrupts.check()


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stops training at the first step whose loss is NaN or infinite, with
    ``TrainingDiverged`` before the epoch ends, so nothing of it is evaluated or saved."""

    def __init__(self, stage: str):
        super().__init__()
        self.stage = stage
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch + 1

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            raise TrainingDiverged(
                "the training loss of stage %s became %s at epoch %d, step %d: training "
                "stopped and nothing of this epoch was saved (a learning rate too large for "
                "this model? try a smaller --LR_BERT or --LR_SOFT_EXTRACT)"
                % (self.stage, float(loss), self.epoch, batch + 1))


def fit(model, train_x, train_y, epochs: int, batch_size: int, seed: int,
        on_epoch_end: Callable[[int, dict], None], verbose: int = 1, dynamic: bool = False,
        initial_epoch: int = 0, stage: str = "training"):
    """Trains epochs ``initial_epoch + 1 .. epochs`` in the order ``epoch_order`` gives;
    ``on_epoch_end`` runs after every epoch. A non-finite loss stops it at once
    (``TrainingDiverged``).

    With ``dynamic`` (a model built with ``seq_len=None``) each batch is cut to its longest
    real example: the same loss and gradients as fixed padding, since padded keys get no
    attention, significance ranks padding last and the mass regulariser does not depend
    on the data; only dropout masks differ, as they are drawn per position."""
    dataset = make_dataset(train_x, train_y, batch_size, seed, dynamic=dynamic, epochs=epochs,
                           initial_epoch=initial_epoch)
    return model.fit(dataset, epochs=epochs, initial_epoch=initial_epoch, verbose=verbose,
                     steps_per_epoch=steps_per_epoch(len(train_y), batch_size),
                     callbacks=[StopOnCtrlC(), StopOnNonFiniteLoss(stage),
                                EpochEnd(on_epoch_end)])
