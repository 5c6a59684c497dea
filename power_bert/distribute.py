"""``--DISTRIBUTE auto|none|mirrored``: data-parallel training with
``tf.distribute.MirroredStrategy``.

  none      one device (TensorFlow's default strategy); the default.
  mirrored  one replica per GPU, or per logical CPU device when there is no GPU (a
            machine shows one CPU device unless more are configured with
            ``tf.config.set_logical_device_configuration`` before TensorFlow starts).
  auto      mirrored when more than one GPU is visible, else none.

Under ``mirrored`` the models and both optimizers of the search are created in the
strategy's scope, Keras splits every batch of the dataset between the replicas
(BATCH_SIZE is the global batch) and sums their gradients. Keras divides the compiled
(task) loss of each replica by the number of replicas so that the sum is the global
mean; ``PowerBertModel.train_step`` divides the mass term by it too, so the search loss
is exactly ``task loss + lambda * sum_j j * mass(j)`` per global batch (otherwise it
would count once per replica).
"""
import contextlib
from typing import Iterator, Optional

from power_bert.backend import tf
from power_bert.options import STRATEGIES
_STRATEGIES = {}  # device names -> the process's MirroredStrategy over them


def make_strategy(name: str) -> Optional["tf.distribute.Strategy"]:
    """The strategy of a ``--DISTRIBUTE`` value; None for one device.

    Raises:
      ValueError: not one of ``STRATEGIES``.
    """
    if name not in STRATEGIES:
        raise ValueError("--DISTRIBUTE must be one of %s, got %r" % (", ".join(STRATEGIES),
                                                                    name))
    gpus = tf.config.list_logical_devices("GPU")
    if name == "none" or (name == "auto" and len(gpus) < 2):
        return None
    devices = tuple(d.name for d in gpus or tf.config.list_logical_devices("CPU"))
    # One strategy per device set and process: strategies made afresh for each stage
    # would number their collective operations from the same start and mix them up.
    if devices not in _STRATEGIES:
        _STRATEGIES[devices] = tf.distribute.MirroredStrategy(list(devices))
    return _STRATEGIES[devices]


@contextlib.contextmanager
def scope(name: str) -> Iterator[Optional["tf.distribute.Strategy"]]:
    """Runs the block in the strategy's scope (nothing for one device); yields it."""
    strategy = make_strategy(name)
    if strategy is None:
        yield None
        return
    with strategy.scope():
        yield strategy


def replicas() -> int:
    """Replicas of the current strategy (1 outside any)."""
    return tf.distribute.get_strategy().num_replicas_in_sync


__all__ = ["STRATEGIES", "make_strategy", "scope", "replicas"]
