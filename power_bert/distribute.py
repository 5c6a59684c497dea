"""``--DISTRIBUTE auto|none|mirrored|multiworker``: data-parallel training with
``tf.distribute``.

  none         one device (TensorFlow's default strategy); the default.
  mirrored     one replica per GPU, or per logical CPU device when there is no GPU (a
               machine shows one CPU device unless more are configured with
               ``tf.config.set_logical_device_configuration`` before TensorFlow starts).
  auto         mirrored when more than one GPU is visible, else none.
  multiworker  ``MultiWorkerMirroredStrategy`` over the machines (workers) of the
               ``TF_CONFIG`` environment variable, one replica per GPU of each (or its
               CPU); the same command runs on every worker.

Under ``mirrored`` and ``multiworker`` the models and both optimizers of the search are
created in the strategy's scope, Keras splits every batch of the dataset between the
replicas (BATCH_SIZE is the global batch; ``training.make_dataset`` shards by data, so
each worker takes its slice of every global batch) and sums their gradients. Keras
divides the compiled (task) loss of each replica by the number of replicas in sync (of
all workers) so that the sum is the global mean; ``PowerBertModel.train_step`` divides
the mass term by it too, so the search loss is exactly
``task loss + lambda * sum_j j * mass(j)`` per global batch (otherwise it would count
once per replica).

Multi-worker runs follow TensorFlow's documented pattern (the "Multi-worker training
with Keras" tutorial): every worker runs the same code, so that each takes part in the
collective operations (creating variables, saving), but only the chief writes
OUTPUT_DIR; the others write to a temporary folder that they delete at the end
(``output_dir``). Every worker takes the chief's dev metrics (``from_chief``), so all
keep the same epoch.
"""
import contextlib
import os
import shutil
import tempfile
from typing import Iterator, List, Optional

from power_bert.backend import tf
from power_bert.runtime import STRATEGIES, worker_task
_STRATEGIES = {}  # device names (or "multiworker") -> the process's strategy over them


def make_strategy(name: str) -> Optional["tf.distribute.Strategy"]:
    """The strategy of a ``--DISTRIBUTE`` value; None for one device.

    ``multiworker`` must be made before TensorFlow runs anything in the process (it
    configures the collective operations of the process; ``pipeline.run`` makes it
    first).

    Raises:
      ValueError: not one of ``STRATEGIES``.
      UsageError: ``multiworker`` without a valid ``TF_CONFIG``.
    """
    if name not in STRATEGIES:
        raise ValueError("--DISTRIBUTE must be one of %s, got %r" % (", ".join(STRATEGIES),
                                                                    name))
    # One strategy per device set and process: strategies made afresh for each stage
    # would number their collective operations from the same start and mix them up.
    if name == "multiworker":
        worker_task(os.environ)
        if name not in _STRATEGIES:
            _STRATEGIES[name] = tf.distribute.MultiWorkerMirroredStrategy()
        return _STRATEGIES[name]
    gpus = tf.config.list_logical_devices("GPU")
    if name == "none" or (name == "auto" and len(gpus) < 2):
        return None
    devices = tuple(d.name for d in gpus or tf.config.list_logical_devices("CPU"))
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


def is_chief(name: str) -> bool:
    """Whether this process writes OUTPUT_DIR: always, but under ``multiworker`` only the
    chief (``runtime.WorkerTask.chief``)."""
    return name != "multiworker" or worker_task(os.environ).chief


@contextlib.contextmanager
def output_dir(name: str, path: str) -> Iterator[str]:
    """The folder this process writes: ``path`` on the chief (and without
    ``multiworker``); on the other workers a new temporary folder, deleted when the block
    ends (however it ends), so that they write (and take part in saving) without touching
    OUTPUT_DIR."""
    if is_chief(name):
        yield path
        return
    task = worker_task(os.environ)
    folder = tempfile.mkdtemp(prefix="power-bert-%s-%d-" % (task.type, task.index))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def from_chief(name: str, values: List[float]) -> List[float]:
    """The chief's ``values`` on every worker (one all-reduce); ``values`` as they are
    without ``multiworker``. Every worker must call it with as many values.

    Every worker computes its dev metrics from the same weights, but the epoch a stage
    keeps must not depend on rounding that may differ between machines."""
    if name != "multiworker" or not values:
        return list(values)
    strategy = make_strategy(name)
    mine = tf.constant(values, tf.float64)

    def chief_only():
        context = tf.distribute.get_replica_context()
        first = tf.equal(context.replica_id_in_sync_group, 0)  # the chief's first replica
        return context.all_reduce(tf.distribute.ReduceOp.SUM,
                                  tf.where(first, mine, tf.zeros_like(mine)))

    result = strategy.experimental_local_results(strategy.run(chief_only))[0]
    return [float(v) for v in result.numpy()]


__all__ = ["STRATEGIES", "make_strategy", "scope", "replicas", "is_chief", "output_dir",
           "from_chief"]
