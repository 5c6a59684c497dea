"""``--DISTRIBUTE mirrored``: ``MirroredStrategy`` over 2 logical CPU devices trains every
stage to the same weights and retention parameters as one device with the same global
batch, and counts the mass term once per global batch (not once per replica).

Logical devices must be configured before TensorFlow initialises its devices, so the
training runs in a subprocess (``python -m helpers.distribute_worker``).

``--DISTRIBUTE multiworker``: two worker processes on 127.0.0.1 (``TF_CONFIG``) train
the three stages to the same weights, retention parameters, retention configuration and
logged losses as one device, and only the chief writes; a missing or malformed
``TF_CONFIG`` is refused before TensorFlow starts.
"""
import json
import os
import socket
import subprocess
import sys

import h5py
import numpy as np
import pytest

from power_bert import synthetic
from power_bert.errors import UsageError
from power_bert.options import Options, validate
from power_bert.runtime import worker_task

from helpers.runs import flags, option_paths, options, tiny_run
from helpers.tiny import make_bert

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


@pytest.fixture(scope="module")
def report():
    # tests/ on the path too: the worker imports the tiny BERT of helpers.tiny
    path = os.pathsep.join([REPO, HERE, os.environ.get("PYTHONPATH", "")])
    env = dict(os.environ, PYTHONPATH=path)
    proc = subprocess.run([sys.executable, "-m", "helpers.distribute_worker", "1e-3"],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=900)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    return json.loads(lines[-1][len("RESULT "):])


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["finetune", "search", "retrain"])
def test_mirrored_training_equals_one_device(report, stage):
    result = report[stage]
    assert result["replicas"] == 2
    assert result["moved"] > 1e-3  # the steps changed the weights
    assert result["difference"] < 1e-5
    if stage == "search":
        assert result["retention_moved"] > 1e-3 and result["retention_difference"] < 1e-5
    single, mirrored = result["logs"]  # the logged loss and metrics: global, not summed
    assert set(single) == set(mirrored) and "loss" in single
    assert all(abs(single[k] - mirrored[k]) < 1e-5 for k in single), (single, mirrored)


@pytest.mark.slow
def test_mass_term_is_counted_once_per_global_batch(report):
    """Counted once per replica, the mass term would act as lambda x 2 on 2 replicas: the
    mirrored weights would then match one-device training with 2 x lambda, which they
    must not (the comparison can fail: the two differ by far more than 1e-5)."""
    assert report["search"]["difference_from_lambda_x2"] > 1e-4


def test_bad_strategy_is_refused_with_the_flag(tmp_path):
    with pytest.raises(UsageError, match="--DISTRIBUTE must be one of auto, none, mirrored, multiworker, "
                                         "got 'tpu'"):
        validate(Options(task="demo", output_dir=str(tmp_path), distribute="tpu"))


@pytest.mark.slow
def test_three_stages_run_under_the_mirrored_strategy(tmp_path):
    """The whole pipeline inside the strategy's scope (one CPU device here: one replica)."""
    out = tiny_run(tmp_path, "--DISTRIBUTE", "mirrored")
    results = json.loads((out / "results.json").read_text())
    assert len(results["retention_configuration"]) == 3
    assert "mirrored" in (out / "latest" / "run.json").read_text()


# ----- multiworker ---------------------------------------------------------------------
TRAINING = ("--EPOCH", "1", "--BATCH_SIZE", "16", "--LR_BERT", "1e-3", "--LR_SOFT_EXTRACT",
            "0.2", "--LAMBDA", "0.05")
# The tiny BERT of the end-to-end runs with dropout off (the runs must be deterministic) and two
# encoders (three processes train it on two cores: every traced layer costs)
SIZES = {"hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0,
         "num_hidden_layers": 2}


def free_ports(count: int):
    """Ports of 127.0.0.1 that nothing listens on now."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def tf_config(ports, index: int) -> str:
    return json.dumps({"cluster": {"worker": ["127.0.0.1:%d" % p for p in ports]},
                       "task": {"type": "worker", "index": index}})


@pytest.fixture(scope="module")
def multiworker(tmp_path_factory):
    """The same three-stage run (dropout off) by two local workers (``multiworker``, each
    with its own OUTPUT_DIR and TMPDIR) and by one device."""
    import main as cli
    root = tmp_path_factory.mktemp("multiworker")
    bert = make_bert(root / "bert", **SIZES)
    data = root / "data"
    synthetic.write_data(str(data), seed=1, sizes={"train": 32, "dev": 16, "test": 8})
    ports = free_ports(2)
    workers = []
    for index in range(2):
        (root / ("tmp%d" % index)).mkdir()
        env = dict(os.environ, TF_CONFIG=tf_config(ports, index),
                   TMPDIR=str(root / ("tmp%d" % index)),
                   PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
        command = [sys.executable, "-m", "power_bert.cli", "train",
                   *flags(bert, data, root / ("out%d" % index), *TRAINING,
                          "--DISTRIBUTE", "multiworker")]
        workers.append(subprocess.Popen(command, env=env, cwd=REPO, text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    try:
        assert cli.main(flags(bert, data, root / "single", *TRAINING)) == 0
        outputs = [worker.communicate(timeout=600)[0] for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    for worker, output in zip(workers, outputs):
        assert worker.returncode == 0, output[-3000:]
    return root


def read_hdf5(path):
    values = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, item: values.__setitem__(name, item[()])
                     if isinstance(item, h5py.Dataset) else None)
    return values


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["finetune", "search", "retrain"])
def test_multiworker_training_equals_one_device(multiworker, stage):
    from power_bert.summaries import read_scalars
    chief, single = multiworker / "out0" / "latest", multiworker / "single" / "latest"
    trained, expected = read_hdf5(chief / (stage + ".hdf5")), read_hdf5(single / (stage + ".hdf5"))
    assert sorted(trained) == sorted(expected)
    assert max(float(np.max(np.abs(trained[k] - expected[k]))) for k in expected) < 1e-5
    start = read_hdf5(single / "finetune.hdf5") if stage != "finetune" else None
    if stage == "retrain":  # the steps changed the weights, by far more than the tolerance
        assert max(float(np.max(np.abs(expected[k] - start[k]))) for k in start) > 1e-4
    if stage == "search":
        retention = [k for k in expected if "Soft-Extract" in k]
        assert len(retention) == SIZES["num_hidden_layers"]
        assert min(float(np.min(expected[k])) for k in retention) < 0.9  # they moved
        results = [json.loads((out / "results.json").read_text()) for out in (chief, single)]
        assert results[0]["retention_configuration"] == results[1]["retention_configuration"]
        assert results[0]["search"]["masses"] == pytest.approx(results[1]["search"]["masses"],
                                                               abs=1e-4)
    logged = [read_scalars(str(out / "tensorboard" / stage)) for out in (chief, single)]
    assert logged[0]["train/loss"] == pytest.approx(logged[1]["train/loss"], abs=1e-5)


@pytest.mark.slow
def test_only_the_chief_writes(multiworker):
    assert (multiworker / "out0" / "results.json").is_file()
    assert "run.json" in os.listdir(multiworker / "out0" / "latest")
    assert not (multiworker / "out1").exists()  # worker 1 wrote to a temporary folder
    assert os.listdir(multiworker / "tmp1") == [] and os.listdir(multiworker / "tmp0") == []


@pytest.mark.parametrize("value, message", [
    (None, "--DISTRIBUTE multiworker needs the TF_CONFIG environment variable"),
    ("{cluster: 1}", "TF_CONFIG is not JSON"),
    ('{"cluster": {"ps": ["a:1"]}, "task": {"type": "worker", "index": 0}}',
     "TF_CONFIG has no cluster.worker list of host:port addresses"),
    ('{"cluster": {"worker": ["a"]}, "task": {"type": "worker", "index": 0}}',
     "TF_CONFIG has no cluster.worker list of host:port addresses"),
    ('{"cluster": {"worker": ["a:1", "b:1"]}, "task": {"type": "worker", "index": 2}}',
     r"TF_CONFIG task.index must be an integer in \[0, 1\] \(cluster.worker has 2 "
     r"addresses\), got 2"),
    ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "evaluator", "index": 0}}',
     "TF_CONFIG task.type must be one of worker .*, got 'evaluator'"),
    ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker"}}',
     r"TF_CONFIG task.index must be an integer in \[0, 0\] .*, got None"),
])
def test_a_bad_tf_config_is_refused_by_name(value, message):
    environ = {} if value is None else {"TF_CONFIG": value}
    with pytest.raises(UsageError, match=message):
        worker_task(environ)


def test_the_chief_is_the_chief_task_else_worker_0():
    cluster = {"worker": ["a:1", "b:1"]}
    tasks = [worker_task({"TF_CONFIG": json.dumps({"cluster": cluster, "task": task})})
             for task in ({"type": "worker", "index": 0}, {"type": "worker", "index": 1})]
    assert [t.chief for t in tasks] == [True, False] and tasks[0].workers == 2
    with_chief = dict(cluster, chief=["c:1"])
    tasks = [worker_task({"TF_CONFIG": json.dumps({"cluster": with_chief, "task": task})})
             for task in ({"type": "chief", "index": 0}, {"type": "worker", "index": 0})]
    assert [t.chief for t in tasks] == [True, False] and tasks[0].workers == 3


def test_multiworker_is_checked_before_tensorflow_starts(tmp_path):
    """The command line ends with one error line naming TF_CONFIG, before TensorFlow is
    imported (a subprocess: this one may have imported it already) and before OUTPUT_DIR
    is touched."""
    folder = option_paths(tmp_path)
    flags = ["--TASK", "demo", "--BERT_CONFIG_PATH", str(folder / "bert_config.json"),
             "--CHECKPOINT_PATH", str(folder / "bert_model.ckpt"), "--VOCAB_PATH",
             str(folder / "vocab.txt"), "--DATA_DIR", str(folder), "--OUTPUT_DIR",
             str(folder / "out"), "--DISTRIBUTE", "multiworker"]
    code = ("import sys, main; status = main.main(sys.argv[1:]); "
            "assert 'tensorflow' not in sys.modules; sys.exit(status)")
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""),
               TF_CONFIG='{"cluster": {"worker": ["127.0.0.1:1"]}, "task": {"index": 0}}')
    proc = subprocess.run([sys.executable, "-c", code, *flags], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=120)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert proc.stderr.strip().splitlines() == [
        "error: TF_CONFIG task.type must be one of worker (the cluster's task types), got None"]
    assert not (folder / "out").exists()
    with pytest.raises(UsageError, match="--DISTRIBUTE multiworker is for training"):
        validate(options(folder, "demo", eval_only=True, distribute="multiworker"))
