"""Benchmark against peers: ``power-bert benchmark --PEERS hf savedmodel onnx onnx_int8``.

  power-bert benchmark --PEERS hf savedmodel --BASELINE out/mrpc/finetune.hdf5 \
      --RETENTION_CONFIG 67,51,44,13,3,1 --DATA_DIR glue/MRPC --BATCH_SIZE 32 \
      --OUTPUT peers/mrpc-b32.json

What a user would run otherwise, timed beside this project's models on the same dev
set, the same token ids and the same weights:

  hf_fixed / hf_dynamic      Hugging Face transformers' ``BertForSequenceClassification``
                             on PyTorch (CPU), every batch padded to the task's length
                             (``run_glue.py``'s default, ``pad_to_max_length``) or to its
                             longest example (``DataCollatorWithPadding``), the examples
                             in dev-set order.
  hf_sorted                  (with --SORT_BY_LENGTH, the default) as hf_dynamic with the
                             batches this project's engines take: examples sorted by
                             real length, so the peer gets the same saving.
  bert_fixed / bert_dynamic  the --BASELINE model on this project's inference path
                             (``inference.run_batches``), fixed padding or dynamic padding
                             with lengths rounded up to multiples of --PADDING_BUCKETS
                             (with XLA), the examples sorted by length as eval and predict
                             sort them (--SORT_BY_LENGTH).
  power_fixed / power_dynamic  PoWER-BERT: --POWER, or --RETENTION_CONFIG applied to the
                             baseline's weights (``StageCheckpoint.with_retention``; the
                             work per batch is that of a trained model of that
                             configuration).
  power_savedmodel           (--PEERS savedmodel) the PoWER-BERT model exported as a
                             SavedModel (``export.export_checkpoint``, XLA as --XLA),
                             called through its ``token_ids`` signature with the batches
                             of power_dynamic.
  power_onnx                 (--PEERS onnx) the PoWER-BERT model exported with --FORMAT
                             onnx and run by ONNX Runtime (``export.load_onnx``), every
                             batch cut to its longest example.
  power_onnx_int8            (--PEERS onnx_int8) as power_onnx, the export quantized to
                             int8 (``--QUANTIZE int8``): another model (int8 rounding), so
                             its difference from PoWER-BERT is reported, not checked, and
                             its dev metric beside PoWER-BERT's shows what int8 costs.

The exports are written once into a temporary folder that is deleted when the run ends;
they are the PoWER-BERT model, so they must agree with power_fixed like power_dynamic.

The Hugging Face model is not read from a hub folder: it is built from the baseline's
own weights through the one table of BERT variables (``google_ckpt.variable_table``),
classifier head included, so it is the same model whether the baseline is a converted
checkpoint or fine-tuned here. Before anything is timed, every engine runs the whole
dev set once (the warm-up) and engines of the same model must give the same outputs to
``AGREEMENT_TOLERANCE`` (probabilities, or STS-B scores; ``REDUCED_TOLERANCE`` under
--MIXED_PRECISION, where each library rounds its own way); otherwise the command stops
with an error and times nothing, since the comparison would not be of one model. Under
--MIXED_PRECISION bfloat16 (or float16) this project's models are built in that type as
eval and predict build them (``precision.policy(..., inference=True)``), HF gets the
baseline's float32 weights (``hf_source``) and runs under ``torch.autocast`` of that type,
its usual reduced-precision inference on a CPU.

Timing is ``timing.time_runners``: the engines take turns A B C ... for --RUNS rounds
after the warm-up; reported are medians and speed-ups relative to ``REFERENCE`` (HF
transformers with dynamic padding, what a careful user runs today).

An engine is a small record (``Engine``): a name, the model it computes, its padding
and a runner (one whole pass -> outputs). Another way of serving the same models joins
the rotation as another factory of engines appended in ``build_engines``.

PyTorch and transformers (``requirements-peers.txt``, --PEERS hf) and tf2onnx and
onnxruntime (``requirements-onnx.txt``, --PEERS onnx) are optional; they are imported
only when their peer is given (``check_peer_packages``).
"""
import dataclasses
import json
import os
import sys
import tempfile
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

from power_bert.errors import BenchmarkError
from power_bert.outputs import markdown_table_lines

PEERS = ("hf", "savedmodel", "onnx", "onnx_int8")
ONNX_PEERS = ("onnx", "onnx_int8")  # need requirements-onnx.txt and take token ids
AGREEMENT_TOLERANCE = 1e-4
# bfloat16 keeps 8 significant bits: two libraries' probabilities differ by about 1e-2
REDUCED_TOLERANCE = 5e-2
REFERENCE = "hf_dynamic"
BERT, POWER = "bert", "power_bert"  # the two models engines compute
POWER_INT8 = "power_bert_int8"  # ... and PoWER-BERT quantized (--PEERS onnx_int8)
MODEL_LABELS = {BERT: "BERT", POWER: "PoWER-BERT", POWER_INT8: "PoWER-BERT int8"}
QUANTIZED = {POWER_INT8: POWER}  # a quantized model -> the model it rounds
INSTALL_HINT = ("pip install -r requirements-peers.txt (PyPI's torch pulls CUDA; the CPU "
                "build is torch==<version>+cpu)")


@dataclasses.dataclass(frozen=True)
class Engine:
    """One way of running one model over the dev set.

    Attributes:
      name: key in the results, e.g. ``hf_dynamic``.
      label: column title, e.g. ``HF transformers``.
      model: which model it computes (``BERT`` or ``POWER``); engines of one model must
        agree (``check_agreement``).
      padding: "fixed", "dynamic" or "dynamic, sorted by length" (``padding_name``).
      run: one whole pass: verbose (0/1) -> outputs ``[N, C]`` probabilities or ``[N]``
        scores, in dev-set order.
      lengths: the input length of every batch it feeds.
    """
    name: str
    label: str
    model: str
    padding: str
    run: Callable[[int], np.ndarray]
    lengths: Sequence[int]


# ----- engines -------------------------------------------------------------------------

def padding_name(dynamic: bool, order) -> str:
    """How an engine pads: "fixed", "dynamic" or "dynamic, sorted by length"."""
    return "dynamic" + ("" if order is None else ", sorted by length") if dynamic else "fixed"


def keras_engines(checkpoint, model: str, label: str, x, batch_size: int, bucket: int,
                  xla: bool, prefix: str, sort: bool) -> List[Engine]:
    """This project's model of ``checkpoint`` with fixed and with (bucketed) dynamic
    padding, on the default inference path (``inference.run_batches``; ``sort``: the
    dynamic batches take the examples sorted by length)."""
    from power_bert.benchmark.timing import keras_runner
    from power_bert.inference import batch_lengths, batch_order, padding_bucket, prepare_batches
    bucket = padding_bucket(bucket, xla)
    engines = []
    for padding in ("fixed", "dynamic"):
        dynamic = padding == "dynamic"
        order = batch_order(x, dynamic, sort)
        keras_model = checkpoint.load_model(dynamic=dynamic, name="%s_%s" % (prefix, padding),
                                            inference=True)
        batches = prepare_batches(x, batch_size, dynamic, bucket, order)
        engines.append(Engine("%s_%s" % (prefix, padding), label, model,
                              padding_name(dynamic, order),
                              keras_runner(keras_model, batches, xla, order),
                              batch_lengths(x, batch_size, dynamic, bucket, order)))
    return engines


def import_torch():
    """(torch, transformers), or a BenchmarkError saying how to install them."""
    try:
        import torch
        import transformers
    except ImportError as e:
        raise BenchmarkError("--PEERS hf needs PyTorch and transformers (%s): %s"
                             % (e, INSTALL_HINT)) from None
    return torch, transformers


def hf_state_dict(keras_model, config, num_labels: int) -> Dict[str, np.ndarray]:
    """The weights of a model of ``build_model`` under the names of transformers'
    ``BertForSequenceClassification`` (Linear weights transposed to [out, in])."""
    from power_bert.google_ckpt import CLASSIFIER_LAYER, variable_table
    state = {}
    for row in variable_table(config, num_labels=num_labels):
        value = keras_model.get_layer(row.layer).get_weights()[row.index]
        if row.layer == CLASSIFIER_LAYER:  # Output: kernel [H, C] -> classifier.weight [C, H]
            name = "classifier." + ("weight" if row.index == 0 else "bias")
            state[name] = value.T if row.index == 0 else value
        else:
            state["bert." + row.hf[0]] = value.T if row.hf_transposed else value
    return state


def hf_source(baseline, name: str = "hf_source"):
    """The baseline's Keras model in float32 whatever the policy, to give HF its weights:
    under --MIXED_PRECISION HF keeps float32 weights and casts them itself (autocast)."""
    from power_bert.precision import policy
    with policy("none", inference=True):
        return baseline.load_model(dynamic=True, name=name)


def hf_model(keras_model, config, num_labels: int):
    """transformers' ``BertForSequenceClassification`` holding ``keras_model``'s weights,
    in evaluation mode."""
    torch, transformers = import_torch()
    hf_config = transformers.BertConfig(
        vocab_size=config.vocab_size, hidden_size=config.hidden_size,
        num_hidden_layers=config.num_hidden_layers,
        num_attention_heads=config.num_attention_heads,
        intermediate_size=config.intermediate_size, hidden_act="gelu",  # exact erf GELU
        max_position_embeddings=config.max_position_embeddings,
        type_vocab_size=config.type_vocab_size, layer_norm_eps=1e-12, num_labels=num_labels)
    model = transformers.BertForSequenceClassification(hf_config)
    state = {k: torch.from_numpy(np.ascontiguousarray(v))
             for k, v in hf_state_dict(keras_model, config, num_labels).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    # position_ids/token_type_ids buffers are made by the model itself
    missing = [k for k in missing if not k.endswith(("position_ids", "token_type_ids"))]
    if missing or unexpected:
        raise BenchmarkError("the Hugging Face model does not take the baseline's weights: "
                             "missing %s, unexpected %s" % (missing, unexpected))
    return model.eval()


def agreement_tolerance(precision: str) -> float:
    """The agreement check's tolerance for a --MIXED_PRECISION value."""
    return AGREEMENT_TOLERANCE if precision == "none" else REDUCED_TOLERANCE


def hf_precision(precision: str):
    """The context HF runs in: ``torch.autocast`` to bfloat16/float16 on the CPU, or
    nothing for float32 ("none")."""
    import contextlib
    torch, _ = import_torch()
    if precision == "none":
        return contextlib.nullcontext()
    return torch.autocast("cpu", dtype={"bfloat16": torch.bfloat16,
                                        "float16": torch.float16}[precision])


def hf_outputs(logits, num_labels: int) -> np.ndarray:
    """HF's logits as this project's models give their outputs: float32 probabilities
    ``[B, C]``, or scores ``[B]`` for a regression head."""
    torch, _ = import_torch()
    out = logits[:, 0] if num_labels == 1 else torch.softmax(logits, dim=-1)
    return out.float().numpy()


def hf_runner(model, batches, num_labels: int, order=None, precision: str = "none"):
    """One pass of a transformers model over prepared int32 batches; the attention mask
    is the project's (token id != 0); outputs in dev-set order (``order``: the order
    the batches took the examples in); ``precision``: ``hf_precision``."""
    from power_bert.inference import in_input_order
    torch, _ = import_torch()

    def run(verbose: int = 0) -> np.ndarray:
        outputs = []
        with torch.inference_mode(), hf_precision(precision):
            for tokens, segments in batches:
                ids = torch.from_numpy(tokens).long()
                logits = model(input_ids=ids, token_type_ids=torch.from_numpy(segments).long(),
                               attention_mask=(ids != 0).long()).logits
                outputs.append(hf_outputs(logits, num_labels))
        return in_input_order(np.concatenate(outputs, axis=0), order)
    return run


def hf_engines(keras_model, config, num_labels: int, x, batch_size: int,
               sort: bool, precision: str = "none") -> List[Engine]:
    """HF transformers with fixed padding and with exact dynamic padding (the longest
    example of each batch, as ``DataCollatorWithPadding``) in dev-set order, and with
    ``sort`` also dynamic padding over examples sorted by length (``hf_sorted``)."""
    from power_bert.inference import batch_lengths, batch_order, prepare_batches
    model = hf_model(keras_model, config, num_labels)
    engines = []
    for name, dynamic, order in (("hf_fixed", False, None), ("hf_dynamic", True, None),
                                 ("hf_sorted", True, batch_order(x, True, sort))):
        if name == "hf_sorted" and order is None:
            continue
        batches = prepare_batches(x, batch_size, dynamic, 1, order)
        engines.append(Engine(name, "HF transformers", BERT, padding_name(dynamic, order),
                              hf_runner(model, batches, num_labels, order, precision),
                              batch_lengths(x, batch_size, dynamic, 1, order)))
    return engines


def savedmodel_engine(power, x, batch_size: int, bucket: int, xla: bool, sort: bool,
                      folder: str, vocab_path: Optional[str] = None,
                      precision: str = "none") -> Engine:
    """PoWER-BERT exported as a SavedModel into ``folder`` and loaded back (as a user
    serving it would), fed power_dynamic's batches through its ``token_ids`` signature."""
    from power_bert.backend import tf
    from power_bert.export import export_checkpoint
    from power_bert.inference import (batch_lengths, batch_order, in_input_order,
                                      padding_bucket, prepare_batches)
    metadata = export_checkpoint(power, folder, vocab_path=vocab_path, xla=xla,
                                 mixed_precision=precision)
    signature = tf.saved_model.load(folder).signatures["token_ids"]  # holds the model
    output = metadata.output  # "probabilities" or "score", as the Keras engines give
    bucket = padding_bucket(bucket, xla)
    order = batch_order(x, True, sort)
    batches = prepare_batches(x, batch_size, True, bucket, order)

    def run(verbose: int = 0) -> np.ndarray:
        return in_input_order(np.concatenate(
            [signature(input_ids=tf.constant(tokens),
                       segment_ids=tf.constant(segments))[output].numpy()
             for tokens, segments in batches], axis=0), order)
    return Engine("power_savedmodel", "PoWER-BERT SavedModel", POWER, padding_name(True, order),
                  run, batch_lengths(x, batch_size, True, bucket, order))


def onnx_engine(power, x, batch_size: int, sort: bool, folder: str,
                vocab_path: Optional[str] = None, quantize: str = "none") -> Engine:
    """PoWER-BERT exported as ONNX into ``folder`` (``quantize``: as --QUANTIZE) and run by
    ONNX Runtime with TensorFlow's intra-op thread count, every batch cut to its longest
    example (no compilation per shape, so no rounding up)."""
    from power_bert.backend import tf
    from power_bert.export import export_checkpoint, load_onnx
    from power_bert.inference import batch_lengths, batch_order, in_input_order, prepare_batches
    export_checkpoint(power, folder, vocab_path=vocab_path, fmt="onnx", quantize=quantize)
    predict = load_onnx(folder, threads=tf.config.threading.get_intra_op_parallelism_threads())
    order = batch_order(x, True, sort)
    batches = prepare_batches(x, batch_size, True, 1, order)

    def run(verbose: int = 0) -> np.ndarray:
        return in_input_order(np.concatenate(
            [predict(tokens, segments) for tokens, segments in batches], axis=0), order)
    if quantize == "none":
        name, label, model = "power_onnx", "PoWER-BERT ONNX Runtime", POWER
    else:
        name, label, model = "power_onnx_" + quantize, "PoWER-BERT ONNX Runtime " + quantize, \
            POWER_INT8
    return Engine(name, label, model, padding_name(True, order), run,
                  batch_lengths(x, batch_size, True, 1, order))


def onnx_peers(peers: Sequence[str]) -> List[str]:
    """The given peers that run an ONNX export (need requirements-onnx.txt, take token
    ids, float32 only)."""
    return [peer for peer in ONNX_PEERS if peer in peers]


def check_peer_packages(peers: Sequence[str]):
    """Imports the optional packages of ``peers``, before anything is read or built.

    Raises:
      BenchmarkError: a package is missing; names its requirements file.
    """
    from power_bert.errors import ExportError
    from power_bert.export import onnx_modules
    if "hf" in peers:
        import_torch()
    onnx = onnx_peers(peers)
    if onnx:
        try:
            onnx_modules("--PEERS " + onnx[0])
        except ExportError as e:
            raise BenchmarkError(str(e)) from None


# ----- the agreement check -------------------------------------------------------------

def check_agreement(engines: Sequence[Engine], outputs: Dict[str, np.ndarray],
                    tolerance: float = AGREEMENT_TOLERANCE) -> Dict[str, Dict]:
    """Engines of the same model must give the same outputs; a quantized model's engine
    (``QUANTIZED``) is compared with the model it rounds, reported but not checked.

    Args:
      engines: the rotation; within each model the first engine is the reference.
      outputs: engine name -> outputs of a whole pass.
      tolerance: the largest allowed absolute difference.

    Returns:
      engine name -> {"reference": engine compared with, "max_abs_difference": float}
      (``"checked": false`` for a quantized model).

    Raises:
      BenchmarkError: an engine differs from its model's reference by more than
        ``tolerance`` (nothing is timed then).
    """
    first, report = {}, {}
    for engine in engines:
        reference = first.setdefault(engine.model, engine)
        if engine.model in QUANTIZED and QUANTIZED[engine.model] in first:
            reference = first[QUANTIZED[engine.model]]
        if reference is engine:
            continue
        want, got = np.asarray(outputs[reference.name]), np.asarray(outputs[engine.name])
        if want.shape != got.shape:
            raise BenchmarkError("refusing to time: %s gives outputs of shape %s but %s gives "
                                 "%s" % (engine.name, got.shape, reference.name, want.shape))
        difference = np.abs(got.astype(np.float64) - want)
        worst = float(difference.max()) if difference.size else 0.0
        if engine.model in QUANTIZED:
            report[engine.name] = {"reference": reference.name, "max_abs_difference": worst,
                                   "checked": False}
            continue
        if not worst <= tolerance:  # also refuses NaN
            example = int(np.argwhere(~(difference <= tolerance))[0][0])
            raise BenchmarkError(
                "refusing to time: %s and %s do not compute the same %s model (max |difference| "
                "%.3g > %g, first at dev example %d)" % (engine.name, reference.name,
                                                 MODEL_LABELS.get(engine.model, engine.model),
                                                 worst, tolerance, example))
        report[engine.name] = {"reference": reference.name, "max_abs_difference": worst}
    return report


# ----- one run -------------------------------------------------------------------------

def build_engines(peers: Sequence[str], baseline, power, x, batch_size: int, bucket: int,
                  xla: bool, sort: bool, folder: Optional[str] = None,
                  vocab_path: Optional[str] = None, precision: str = "none") -> List[Engine]:
    """The rotation: HF transformers, this project's BERT and PoWER-BERT, then the
    exported PoWER-BERT (SavedModel, ONNX Runtime).

    Args:
      peers: names from ``PEERS``.
      sort: dynamic padding takes the examples sorted by length (``hf_sorted`` joins).
      baseline, power: ``StageCheckpoint`` of the baseline and of PoWER-BERT.
      folder: an empty folder for the exports (needed with savedmodel or onnx).
      vocab_path: the vocabulary the exports record (default: the checkpoint's).
      precision: --MIXED_PRECISION, for HF (``hf_precision``).
    """
    check_peer_packages(peers)  # before any model is built: a missing install costs nothing
    engines = []
    if "hf" in peers:
        source = hf_source(baseline)
        engines += hf_engines(source, baseline.config, baseline.num_labels, x, batch_size,
                              sort, precision)
    engines += keras_engines(baseline, BERT, "this project, BERT", x, batch_size, bucket, xla,
                             "bert", sort)
    engines += keras_engines(power, POWER, "this project, PoWER-BERT", x, batch_size, bucket,
                             xla, "power", sort)
    if "savedmodel" in peers:
        engines.append(savedmodel_engine(power, x, batch_size, bucket, xla, sort,
                                         os.path.join(folder, "savedmodel"), vocab_path,
                                         precision))
    for peer, quantize in (("onnx", "none"), ("onnx_int8", "int8")):
        if peer in peers:
            engines.append(onnx_engine(power, x, batch_size, sort, os.path.join(folder, peer),
                                       vocab_path, quantize))
    return engines


def engine_entry(engine: Engine, timing: Dict, num_examples: int, batch_size: int,
                 reference_time: Optional[float], metrics: Dict[str, float]) -> Dict:
    """An engine's entry in the results."""
    from power_bert.inference import batch_slices
    median = float(np.median(timing["times"]))
    sizes = [s.stop - s.start for s in batch_slices(num_examples, batch_size)]
    return {
        "label": engine.label, "model": engine.model, "padding": engine.padding,
        "seconds_total_median": median, "seconds_per_example": median / num_examples,
        "all_times": [float(t) for t in timing["times"]],
        "average_batch_length": float(np.dot(engine.lengths, sizes)) / num_examples,
        "speedup_vs_reference": None if reference_time is None else reference_time / median,
        "metrics": {k: round(100.0 * v, 2) for k, v in metrics.items()},
    }


def peer_machine(peers: Sequence[str]) -> Dict:
    """``timing.machine_info`` and the versions of the peers' packages."""
    from power_bert.benchmark.timing import machine_info
    machine = machine_info()
    if "hf" in peers:
        torch, transformers = import_torch()
        machine.update(torch=torch.__version__, transformers=transformers.__version__,
                       torch_threads=torch.get_num_threads())
    if onnx_peers(peers):
        from power_bert.export import ONNX_OPSET, onnx_modules
        tf2onnx, onnxruntime = onnx_modules("--PEERS onnx")
        machine.update(onnxruntime=onnxruntime.__version__, tf2onnx=tf2onnx.__version__,
                       onnx_opset=ONNX_OPSET)
    return machine


def run_peers(options, peers: Sequence[str], baseline, power, x, y, task, bucket: int,
              say=print, vocab_path: Optional[str] = None, texts=None) -> Dict:
    """Builds the engines (the exports in a temporary folder, deleted at the end),
    checks that they agree, times them and returns the results document
    (``write_peer_outputs`` writes it). With ``texts`` (the dev sentences, --FROM_TEXT)
    the engines are those from raw text (``text.text_engines``) and ``hf_text`` is the
    reference."""
    from power_bert.benchmark.timing import time_runners
    from power_bert.inference import padding_bucket
    from power_bert.metrics import compute_metrics
    agreement, tolerance = {}, agreement_tolerance(options.mixed_precision)
    with tempfile.TemporaryDirectory(prefix="power-bert-peers-") as folder:
        if texts is None:
            engines = build_engines(peers, baseline, power, x, options.batch_size, bucket,
                                    options.xla, options.sort_by_length, folder, vocab_path,
                                    options.mixed_precision)
        else:
            from power_bert.benchmark.text import text_engines
            engines = text_engines(peers, baseline, power, task, texts, x, options.batch_size,
                                   options.sort_by_length, folder, vocab_path,
                                   options.hf_tokenizer, options.mixed_precision)

        def check(outputs):
            agreement.update(check_agreement(engines, outputs, tolerance))
            say("agreement: %s" % ", ".join("%s = %s to %.2g" % (name, a["reference"],
                                                                 a["max_abs_difference"])
                                            for name, a in agreement.items()))
        timings = time_runners([(e.name, e.run) for e in engines], options.runs,
                               options.warmup, options.verbose, say, after_warmup=check)
    names = [e.name for e in engines]
    if texts is not None:
        from power_bert.benchmark.text import TEXT_REFERENCE as wanted
    else:
        wanted = REFERENCE
    reference = wanted if wanted in names else None
    reference_time = float(np.median(timings[reference]["times"])) if reference else None
    return {
        "peers": list(peers), "task": task.name, "batch_size": options.batch_size,
        "num_examples": int(len(y)), "seq_len": baseline.seq_len,
        "padding_bucket": padding_bucket(bucket, options.xla),
        "num_runs": options.runs, "warmup": max(options.warmup, 1), "xla": bool(options.xla),
        "sort_by_length": bool(options.sort_by_length),
        **({"from_text": True} if texts is not None else {}),
        "machine": peer_machine(peers), "retention_configuration": power.applied_retention,
        **({"mixed_precision": options.mixed_precision}
           if options.mixed_precision != "none" else {}),
        "reference": reference, "agreement_tolerance": tolerance,
        "agreement": agreement,
        "engines": {e.name: engine_entry(e, timings[e.name], len(y), options.batch_size,
                                         reference_time,
                                         compute_metrics(task, y, timings[e.name]["predictions"]))
                    for e in engines},
    }


# ----- report --------------------------------------------------------------------------

def _cell(entry: Dict) -> str:
    speedup = entry["speedup_vs_reference"]
    return "%.2f s%s" % (entry["seconds_total_median"],
                         "" if speedup is None else " (%.2fx)" % speedup)


def _quantized_metric(result: Dict, name: str) -> str:
    """A quantized engine's dev metric and, in brackets, the model's it rounds."""
    from power_bert.tasks import get_task
    engines = result["engines"]
    if name not in engines:
        return ""
    metric = get_task(result["task"]).main_metric
    rounded = [e for e in engines.values()
               if e.get("model") == QUANTIZED[engines[name]["model"]]]
    return "%s %.2f%s" % (metric, engines[name]["metrics"][metric],
                          " (%.2f)" % rounded[0]["metrics"][metric] if rounded else "")


def markdown_table(results: Sequence[Dict]) -> str:
    """One row per results document (task and batch size), one column per engine:
    median seconds per dev pass and the speed-up over ``REFERENCE``; then, for a quantized
    engine, its dev metric beside that of the model it rounds."""
    if not results:
        return ""
    first = results[0]
    names = list(first["engines"])
    titles = ["%s, %s" % (first["engines"][n]["label"], first["engines"][n]["padding"])
              for n in names]
    quantized = [n for n in names if first["engines"][n].get("model") in QUANTIZED]
    titles += ["%s: dev metric (%s)" % (
        first["engines"][n]["label"],
        MODEL_LABELS[QUANTIZED[first["engines"][n]["model"]]]) for n in quantized]
    machine = first["machine"]
    # (results of earlier releases: "thread_environment", no CPU model)
    environment = machine.get("environment", machine.get("thread_environment", {}))
    cpu = machine.get("cpu_model") or machine["platform"]
    if machine.get("cpu_features"):
        cpu += " (%s)" % ", ".join(machine["cpu_features"])
    head = ("Seconds per dev pass (median of %d interleaved passes after a warm-up); in "
            "brackets the speed-up over %s. PoWER-BERT retention configuration per row; "
            "%sthis project's dynamic padding %s%s, %s. %s, %s "
            "CPUs, TensorFlow %s (%s intra-op threads)%s%s.\n\n"
            % (first["num_runs"], first["reference"] or "nothing",
               ("from raw text, tokenisation included, %s in file order; " % first["reference"]
                if first.get("from_text") else "")
               + ("%s (HF: torch.autocast); " % first["mixed_precision"]
                  if first.get("mixed_precision") else ""),
               "rounds lengths up to multiples of %d" % first["padding_bucket"]
               if first["padding_bucket"] > 1 else "cuts each batch to its longest example",
               ", the examples sorted by length" if first.get("sort_by_length") else "",
               "XLA" if first["xla"] else "no XLA", cpu,
               machine["cpu_count"], machine["tensorflow"],
               environment.get("TF_NUM_INTRAOP_THREADS")
               or machine["intra_op_threads"] or "default",
               ", PyTorch %s (%d threads), transformers %s" % (
                   machine["torch"], machine["torch_threads"], machine["transformers"])
               if "torch" in machine else "",
               ", ONNX Runtime %s (opset %d)" % (machine["onnxruntime"], machine["onnx_opset"])
               if "onnxruntime" in machine else ""))
    rows = [["%s (%d)" % (result["task"], result["num_examples"]), "%d" % result["batch_size"],
             ",".join(map(str, result["retention_configuration"] or [])) or "-"]
            + [_cell(result["engines"][n]) if n in result["engines"] else "" for n in names]
            + [_quantized_metric(result, n) for n in quantized]
            for result in results]
    lines = markdown_table_lines(["task (examples)", "batch", "retention"] + titles, rows,
                                 "lrl" + "r" * (len(names) + len(quantized)))
    return head + "\n".join(lines) + "\n"


def write_peer_outputs(result: Dict, output: str, say=print):
    """Writes the results as JSON to ``output`` and their table beside it (.md)."""
    from power_bert.benchmark.report import write_result
    write_result(result, output, markdown_table([result]), say)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m power_bert.benchmark.peers a.json b.json ... > table.md``: one table
    of several runs (e.g. two tasks at three batch sizes), rows by task and batch size."""
    paths = list(sys.argv[1:] if argv is None else argv)
    if not paths:
        print("usage: python -m power_bert.benchmark.peers RESULT.json ... > table.md",
              file=sys.stderr)
        return 2
    results = []
    for path in paths:
        with open(path, encoding="utf-8") as reader:
            results.append(json.load(reader))
    results.sort(key=lambda r: (r["task"], r["batch_size"]))
    sys.stdout.write(markdown_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["PEERS", "ONNX_PEERS", "AGREEMENT_TOLERANCE", "REDUCED_TOLERANCE", "REFERENCE",
           "BERT", "POWER", "POWER_INT8", "MODEL_LABELS", "QUANTIZED", "Engine",
           "keras_engines", "agreement_tolerance", "hf_precision", "hf_outputs",
           "padding_name", "import_torch", "hf_state_dict", "hf_source", "hf_model",
           "hf_runner", "hf_engines",
           "savedmodel_engine", "onnx_engine", "onnx_peers", "check_peer_packages",
           "check_agreement", "build_engines", "engine_entry", "peer_machine", "run_peers",
           "markdown_table", "write_peer_outputs", "main"]
