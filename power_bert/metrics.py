"""The official GLUE metrics, computed over a whole split.

Which metrics a task reports comes from the task table (``TaskSpec.metrics``,
first = the metric used for model selection). Every classification task also
reports accuracy. Values are fractions (0.5231), not percentages.

Degenerate inputs give 0.0, never NaN or an exception:

- MCC is 0.0 when the predictions (or the labels) are all one class, as
  scikit-learn defines it.
- Pearson and Spearman are 0.0 when the predictions or the labels are
  constant: the correlation is undefined there, and 0.0 ("no linear / rank
  relation shown") keeps model selection well defined: a collapsed model
  that predicts one score never beats a model that ranks the pairs.
- F1 is 0.0 when there is no true or predicted positive.
"""
from typing import Dict, Mapping

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats
from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef

from power_bert.tasks import TaskSpec, get_task




def compute_metrics(task, labels: ArrayLike, predictions: ArrayLike) -> Dict[str, float]:
    """Score predictions against gold labels with the task's metrics.

    Args:
      task: task name or TaskSpec.
      labels: gold labels [N]: class indices, or scores for regression.
      predictions: class probabilities or logits [N, C] (argmax is taken), or
        class indices [N]; for regression, scores [N] or [N, 1].

    Returns:
      Metric name to value (fraction). Keys are ``task.metrics`` in order,
      then "accuracy" for classification tasks that do not list it.

    Raises:
      ValueError: unknown task, empty input, mismatched lengths or shapes.
    """
    task = get_task(task)
    gold = np.asarray(labels)
    if gold.ndim != 1:
        raise ValueError("labels must be 1-D [N], got shape %s" % (gold.shape,))
    predicted = _as_predictions(task, predictions)
    if len(gold) != len(predicted):
        raise ValueError("%d labels but %d predictions" % (len(gold), len(predicted)))
    if len(gold) == 0:
        raise ValueError("cannot compute metrics on an empty set")

    names = list(task.metrics)
    if not task.is_regression and "accuracy" not in names:
        names.append("accuracy")
    if task.is_regression:
        gold = gold.astype(np.float64)
    else:
        gold = gold.astype(np.int64)
    return {name: float(_METRICS[name](gold, predicted)) for name in names}


def main_metric_value(task, metrics: Mapping[str, float]) -> float:
    """The value of the task's main (model selection) metric.

    Args:
      task: task name or TaskSpec.
      metrics: a dict from ``compute_metrics``.

    Returns:
      ``metrics[task.main_metric]``.

    Raises:
      ValueError: the dict lacks the main metric.
    """
    task = get_task(task)
    if task.main_metric not in metrics:
        raise ValueError("Task %s selects models by %r, which is not among the metrics %s"
                         % (task.name, task.main_metric, sorted(metrics)))
    return float(metrics[task.main_metric])


def format_metrics(metrics: Mapping[str, float]) -> str:
    """One log line: percentages with 2 decimals, e.g. "mcc=52.31 accuracy=81.02".

    Args:
      metrics: metric name to fraction.

    Returns:
      The formatted string (empty for an empty dict).
    """
    return " ".join("%s=%.2f" % (name, 100.0 * value) for name, value in metrics.items())


def _as_predictions(task: TaskSpec, predictions: ArrayLike) -> np.ndarray:
    """Reduce model outputs to class indices [N] or scores [N]."""
    values = np.asarray(predictions)
    if task.is_regression:
        if values.ndim == 2 and values.shape[1] == 1:
            values = values[:, 0]
        if values.ndim != 1:
            raise ValueError("regression predictions must be [N] or [N, 1], got shape %s"
                             % (values.shape,))
        return values.astype(np.float64)
    if values.ndim == 2:
        if values.shape[1] != task.num_labels:
            raise ValueError("task %s has %d classes but predictions have shape %s"
                             % (task.name, task.num_labels, values.shape))
        return np.argmax(values, axis=1)
    if values.ndim == 1 and (values.size == 0 or np.issubdtype(values.dtype, np.integer)):
        return values.astype(np.int64)
    raise ValueError("classification predictions must be probabilities [N, %d] or class "
                     "indices [N] (integers), got %s of shape %s"
                     % (task.num_labels, values.dtype, values.shape))


def _mcc(gold: np.ndarray, predicted: np.ndarray) -> float:
    if np.all(predicted == predicted[0]) or np.all(gold == gold[0]):
        return 0.0
    return _finite(matthews_corrcoef(gold, predicted))


def _accuracy(gold: np.ndarray, predicted: np.ndarray) -> float:
    return accuracy_score(gold, predicted)


def _f1(gold: np.ndarray, predicted: np.ndarray) -> float:
    return f1_score(gold, predicted, pos_label=1, average="binary", labels=[0, 1],
                    zero_division=0.0)


def _pearson(gold: np.ndarray, predicted: np.ndarray) -> float:
    if _is_constant(gold) or _is_constant(predicted):
        return 0.0
    return _finite(stats.pearsonr(gold, predicted)[0])


def _spearman(gold: np.ndarray, predicted: np.ndarray) -> float:
    if _is_constant(gold) or _is_constant(predicted):
        return 0.0
    return _finite(stats.spearmanr(gold, predicted)[0])


def _is_constant(values: np.ndarray) -> bool:
    return bool(np.all(values == values[0]))


def _finite(value: float) -> float:
    value = float(value)
    return value if np.isfinite(value) else 0.0


_METRICS = {
    "mcc": _mcc,
    "accuracy": _accuracy,
    "f1": _f1,
    "pearson": _pearson,
    "spearman": _spearman,
}


__all__ = ["compute_metrics", "main_metric_value", "format_metrics"]
