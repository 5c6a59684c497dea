"""The run-time choices that need no TensorFlow: ``--MIXED_PRECISION``'s precisions,
``--DISTRIBUTE``'s strategies, the ``TF_CONFIG`` of a multi-worker cluster and the
inference path's defaults (XLA, dynamic padding, padding buckets).

The library (``precision.py``, ``distribute.py``) and the options' validation
(``options.py``, before TensorFlow loads) read them from here.
"""
import dataclasses
import json
from typing import Mapping

from power_bert.errors import UsageError

# --MIXED_PRECISION value -> the Keras policy of ``precision.policy``
POLICIES = {"none": "float32", "float16": "mixed_float16", "bfloat16": "mixed_bfloat16"}
PRECISIONS = tuple(POLICIES)
# ... and for models that only infer (eval, predict, export, benchmark): the same
# computation with the variables stored in the half type, so that no kernel is cast on
# every call (the same predictions, bit for bit; a bfloat16 SavedModel half the size;
# benchmarks/README.md, "bfloat16 variables for inference")
INFERENCE_POLICIES = {"none": "float32", "float16": "float16", "bfloat16": "bfloat16"}
STRATEGIES = ("auto", "none", "mirrored", "multiworker")  # --DISTRIBUTE (distribute.py)
# The inference path's defaults for evaluation and prediction, chosen by timing
# (benchmarks/README.md, "The inference path's defaults" and "XLA and mixed precision on
# a CPU", "Where the time goes on this CPU"): dynamic padding (exact, and faster than fixed
# padding) but no XLA: on a CPU the graph mode's fused oneDNN products run BERT faster than
# XLA and PoWER-BERT as fast, and XLA compiles once per input shape. The benchmark times
# the same path (benchmark.engine.BENCHMARK_XLA). With XLA, dynamic padding
# rounds each batch's length up to a multiple of PADDING_BUCKETS to bound the shapes.
# Training keeps fixed padding and no XLA unless asked (XLA training steps were slower).
INFERENCE_XLA = False
INFERENCE_DYNAMIC_PADDING = True
# ... and, with dynamic padding, batches of examples sorted by real length (exact:
# predictions come back in the input order; 1.4-1.8x fewer token positions on GLUE dev
# sets at batch 32; benchmarks/README.md, "Batches sorted by length").
INFERENCE_SORT_BY_LENGTH = True
PADDING_BUCKETS = 16
TF_CONFIG_EXAMPLE = ('{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                     '"task": {"type": "worker", "index": 0}}')


@dataclasses.dataclass(frozen=True)
class WorkerTask:
    """This process's place in a multi-worker cluster (``TF_CONFIG``).

    Attributes:
      type: "chief" or "worker".
      index: the task's index among the tasks of its type.
      has_chief: the cluster names a "chief" task.
      workers: the tasks that train (the chief and the workers).
    """
    type: str
    index: int
    has_chief: bool
    workers: int

    @property
    def chief(self) -> bool:
        """The task that writes OUTPUT_DIR: the "chief" task, or worker 0 when the cluster
        has no chief (TensorFlow's rule, as in Keras' ModelCheckpoint)."""
        return self.type == "chief" or (not self.has_chief and self.index == 0)


def worker_task(environ: Mapping[str, str]) -> WorkerTask:
    """Reads and checks the ``TF_CONFIG`` variable of ``environ`` (without TensorFlow).

    Raises:
      UsageError: TF_CONFIG missing, not JSON, without cluster.worker, or with a task
        that is not in the cluster; the message names TF_CONFIG and shows an example.
    """
    text = environ.get("TF_CONFIG")
    example = "; e.g. TF_CONFIG='%s' on the first machine" % TF_CONFIG_EXAMPLE
    if not text:
        raise UsageError("--DISTRIBUTE multiworker needs the TF_CONFIG environment variable "
                         "(the cluster's workers and this process's task)" + example)
    try:
        config = json.loads(text)
    except ValueError as e:
        raise UsageError("TF_CONFIG is not JSON (%s)%s" % (e, example)) from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not _addresses(cluster.get("worker")):
        raise UsageError("TF_CONFIG has no cluster.worker list of host:port addresses%s"
                         % example)
    sizes = {}
    for kind in ("chief", "worker"):
        if kind in cluster:
            if not _addresses(cluster[kind]):
                raise UsageError("TF_CONFIG cluster.%s must be a list of host:port addresses, "
                                 "got %r" % (kind, cluster[kind]))
            sizes[kind] = len(cluster[kind])
    if sizes.get("chief", 0) > 1:
        raise UsageError("TF_CONFIG cluster.chief has %d addresses; a cluster has at most one "
                         "chief" % sizes["chief"])
    task = config.get("task")
    kind = task.get("type") if isinstance(task, dict) else None
    index = task.get("index") if isinstance(task, dict) else None
    if kind not in sizes:
        raise UsageError("TF_CONFIG task.type must be one of %s (the cluster's task types), "
                         "got %r" % (", ".join(sorted(sizes)), kind))
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < sizes[kind]:
        raise UsageError("TF_CONFIG task.index must be an integer in [0, %d] (cluster.%s has "
                         "%d addresses), got %r" % (sizes[kind] - 1, kind, sizes[kind], index))
    return WorkerTask(kind, index, "chief" in sizes, sum(sizes.values()))


def _addresses(value) -> bool:
    """A non-empty list of "host:port" strings."""
    return isinstance(value, list) and bool(value) and all(
        isinstance(a, str) and a.rpartition(":")[0] and a.rpartition(":")[2].isdigit()
        for a in value)
