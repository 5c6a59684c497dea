"""TensorBoard summaries of a training run: ``<run>/tensorboard/<stage>/``.

One event file folder per stage, one point per epoch (step = the epoch, 1-based):

  train/<name>                 Keras' epoch averages: loss (the search stage: task loss
                               + LAMBDA * sum_j j * mass(j)), accuracy, mass_loss, ...
  dev/<metric>                 the task's dev metrics (accuracy, f1, mcc, spearman, ...)
  tune/<metric>                instead of dev/, with --TUNE_FRACTION: the held-out part
                               of the training set that chooses the epochs
  learning_rate/bert           the rate of the epoch's last update of the BERT weights
                               (LR_BERT's schedule at that step)
  learning_rate/soft_extract   the same for the retention parameters (search stage)
  search/mass/encoder_<j>      mass(j) = sum_k r_j[k] (search stage)
  search/retention/encoder_<j> l_j derived from the masses (search stage)

``tensorboard --logdir OUTPUT_DIR/latest/tensorboard`` shows them (the ``tensorboard``
package is not needed to write them; ``read_scalars`` reads them back with TensorFlow).
"""
import os
from typing import Dict, Mapping, Optional, Sequence

from power_bert.backend import tf

FOLDER = "tensorboard"


def summary_dir(run_dir: str, stage: str) -> str:
    """Where the summaries of ``stage`` go."""
    return os.path.join(run_dir, FOLDER, stage)


def learning_rate(optimizer) -> Optional[float]:
    """The rate of the optimizer's last update (Keras keeps a schedule's value at the step
    it was last applied: ``schedule(iterations - 1)``); None without an optimizer."""
    if optimizer is None:
        return None
    rate = optimizer.learning_rate
    if callable(rate):  # an optimizer that has not evaluated its schedule
        rate = rate(tf.maximum(optimizer.iterations - 1, 0))
    return float(tf.keras.backend.get_value(rate))


class StageSummaries:
    """Writes one stage's scalars; ``epoch`` once per epoch, ``close`` at the end."""

    def __init__(self, run_dir: str, stage: str):
        self.folder = summary_dir(run_dir, stage)
        self.writer = tf.summary.create_file_writer(self.folder)

    def epoch(self, epoch: int, model, train_logs: Mapping[str, float],
              dev_metrics: Mapping[str, float], masses: Optional[Sequence[float]] = None,
              retention: Optional[Sequence[int]] = None, split: str = "dev"):
        """Writes the scalars of one finished epoch (1-based); ``split`` names the set
        ``dev_metrics`` were measured on ("tune": the held-out part of the training set)."""
        scalars: Dict[str, float] = {}
        for name, value in train_logs.items():
            scalars["train/%s" % name] = value
        for name, value in dev_metrics.items():
            scalars["%s/%s" % (split, name)] = value
        rates = (("bert", getattr(model, "optimizer", None)),
                 ("soft_extract", getattr(model, "retention_optimizer", None)))
        for name, optimizer in rates:
            rate = learning_rate(optimizer)
            if rate is not None:
                scalars["learning_rate/%s" % name] = rate
        for j, mass in enumerate(masses or (), start=1):
            scalars["search/mass/encoder_%d" % j] = mass
        for j, keep in enumerate(retention or (), start=1):
            scalars["search/retention/encoder_%d" % j] = keep
        # Written as Summary protos with simple_value (TensorBoard's scalar format):
        # tf.summary.scalar needs the tensorboard package, which TensorFlow does not
        # install; these need only TensorFlow.
        summary = tf.compat.v1.Summary(value=[
            tf.compat.v1.Summary.Value(tag=tag, simple_value=float(value))
            for tag, value in scalars.items()])
        with self.writer.as_default():
            tf.summary.experimental.write_raw_pb(summary.SerializeToString(), step=int(epoch))
        self.writer.flush()

    def close(self):
        self.writer.close()


def read_scalars(folder: str) -> Dict[str, Dict[int, float]]:
    """Every scalar in the event files under ``folder``: tag -> {step: value} (a later
    file's value wins, as when a resumed stage rewrites an epoch)."""
    import glob
    scalars: Dict[str, Dict[int, float]] = {}
    for path in sorted(glob.glob(os.path.join(folder, "events.out.tfevents.*"))):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.HasField("simple_value"):
                    number = float(value.simple_value)
                else:  # tf.summary.scalar's tensor form
                    number = float(tf.make_ndarray(value.tensor))
                scalars.setdefault(value.tag, {})[int(event.step)] = number
    return scalars


__all__ = ["FOLDER", "summary_dir", "learning_rate", "StageSummaries", "read_scalars"]
