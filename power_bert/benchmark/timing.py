"""Timing: a warm-up pass per model, then whole passes with the models interleaved."""
import os
import platform
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from power_bert.backend import tf
from power_bert.inference import Inputs, run_batches


# One whole pass over the prepared data: verbose (0 or 1) -> the outputs of the pass.
Runner = Callable[[int], np.ndarray]


def keras_runner(model, batches: Sequence[Inputs], xla: bool,
                 order: Optional[np.ndarray] = None) -> Runner:
    """The runner of a Keras model over prepared batches (``inference.run_batches``;
    ``order``: the order the batches took the examples in, undone on the outputs)."""
    return lambda verbose=0: run_batches(model, batches, xla=xla, verbose=verbose, order=order)


def time_models(models: Sequence[Tuple[str, object]], batches: Sequence[Inputs], runs: int,
                warmup: int, xla: bool, verbose: int = 1,
                say: Callable[[str], None] = print,
                order: Optional[np.ndarray] = None) -> Dict[str, Dict]:
    """``time_runners`` for Keras models that all take the same batches.

    Args:
      models: (name, Keras model) in the order they take turns.
      batches: prepared batches (``inference.prepare_batches``), the same for every model.
      xla: compile the inference functions with XLA.
      runs, warmup, verbose, say: as for ``time_runners``.
      order: the order the batches took the examples in (``inference.batch_order``).
    """
    return time_runners([(name, keras_runner(model, batches, xla, order))
                         for name, model in models],
                        runs, warmup, verbose, say)


def time_runners(runners: Sequence[Tuple[str, Runner]], runs: int, warmup: int,
                 verbose: int = 1, say: Callable[[str], None] = print,
                 after_warmup: Optional[Callable[[Dict[str, np.ndarray]], None]] = None
                 ) -> Dict[str, Dict]:
    """Warms every runner up, then times whole passes, alternating the runners.

    Args:
      runners: (name, runner) in the order they take turns.
      runs: timed rounds; each round times one pass of every runner.
      warmup: untimed passes per runner before the first round.
      verbose: 0 silent; 1 progress bars in the warm-up and one line per round.
      say: where the lines go.
      after_warmup: called with name -> outputs of the last warm-up pass before anything
        is timed (at least one warm-up pass is made then); it may refuse to go on by
        raising.

    Returns:
      name -> {"times": [seconds of each timed pass], "predictions": outputs of the
      first timed pass}.
    """
    results = {name: {"times": [], "predictions": None} for name, _ in runners}
    warm = {}
    for name, runner in runners:
        for _ in range(max(warmup, 1 if after_warmup else 0)):
            if verbose:
                say("warm-up: %s" % name)
            warm[name] = runner(verbose)
    if after_warmup is not None:
        after_warmup(warm)
    for round_index in range(runs):
        line = []
        for name, runner in runners:
            start = time.perf_counter()
            out = runner(0)
            elapsed = time.perf_counter() - start
            results[name]["times"].append(elapsed)
            if results[name]["predictions"] is None:
                results[name]["predictions"] = out
            line.append("%s %.3f s" % (name, elapsed))
        if verbose:
            say("round %d/%d: %s" % (round_index + 1, runs, ", ".join(line)))
    return results


# Environment variables that set the engines' threads and TensorFlow's oneDNN use
# (recorded with every result: they change the times).
RUNTIME_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
                     "TF_NUM_INTEROP_THREADS", "TF_ENABLE_ONEDNN_OPTS", "ONEDNN_MAX_CPU_ISA")
# CPU features that decide which kernels oneDNN, Eigen and PyTorch can use.
CPU_FEATURES = ("avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16",
                "avx512_fp16", "avx_vnni", "amx_tile", "amx_bf16", "amx_int8")


def cpu_description(cpuinfo: str) -> Dict:
    """The CPU's model name and which of ``CPU_FEATURES`` it has, from the text of
    /proc/cpuinfo (the first processor's entries); empty values when absent."""
    model, flags = "", set()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and not model:
            model = value.strip()
        elif key == "flags" and not flags:
            flags = set(value.split())
    return {"cpu_model": model, "cpu_features": [f for f in CPU_FEATURES if f in flags]}


def machine_info() -> Dict:
    """The machine and TensorFlow set-up the times were taken on: the CPU model and its
    relevant features (Linux), the thread settings and the environment variables that
    change them (``RUNTIME_VARIABLES``, those set)."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count()
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            cpu = cpu_description(f.read())
    except OSError:  # not on Linux
        cpu = {"cpu_model": platform.processor(), "cpu_features": []}
    devices: List[str] = ["%s (%s)" % (d.name, d.device_type)
                          for d in tf.config.list_logical_devices()]
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        **cpu,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable,
        "tensorflow": tf.__version__,
        "devices": devices,
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
        "environment": {name: os.environ[name] for name in RUNTIME_VARIABLES
                        if name in os.environ},
    }


__all__ = ["Runner", "keras_runner", "time_models", "time_runners", "machine_info",
           "cpu_description"]
