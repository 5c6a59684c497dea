"""Timing: a warm-up pass per model, then whole passes with the models interleaved."""
import os
import platform
import time
from typing import Callable, Dict, List, Sequence, Tuple

from power_bert.backend import tf
from power_bert.inference import Inputs, run_batches


def time_models(models: Sequence[Tuple[str, object]], batches: Sequence[Inputs], runs: int,
                warmup: int, xla: bool, verbose: int = 1,
                say: Callable[[str], None] = print) -> Dict[str, Dict]:
    """Warms every model up, then times whole passes, alternating the models.

    Args:
      models: (name, Keras model) in the order they take turns.
      batches: prepared batches (``inference.prepare_batches``), the same for every model.
      runs: timed rounds; each round times one pass of every model.
      warmup: untimed passes per model before the first round.
      xla: compile the inference functions with XLA.
      verbose: 0 silent; 1 progress bars in the warm-up and one line per round.
      say: where the lines go.

    Returns:
      name -> {"times": [seconds of each timed pass], "predictions": outputs of the
      first timed pass}.
    """
    results = {name: {"times": [], "predictions": None} for name, _ in models}
    for name, model in models:
        for _ in range(warmup):
            if verbose:
                say("warm-up: %s" % name)
            run_batches(model, batches, xla=xla, verbose=verbose)
    for round_index in range(runs):
        line = []
        for name, model in models:
            start = time.perf_counter()
            out = run_batches(model, batches, xla=xla)
            elapsed = time.perf_counter() - start
            results[name]["times"].append(elapsed)
            if results[name]["predictions"] is None:
                results[name]["predictions"] = out
            line.append("%s %.3f s" % (name, elapsed))
        if verbose:
            say("round %d/%d: %s" % (round_index + 1, runs, ", ".join(line)))
    return results


def machine_info() -> Dict:
    """The machine and TensorFlow set-up the times were taken on."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count()
    devices: List[str] = ["%s (%s)" % (d.name, d.device_type)
                          for d in tf.config.list_logical_devices()]
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable,
        "tensorflow": tf.__version__,
        "devices": devices,
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
    }


__all__ = ["time_models", "machine_info"]
