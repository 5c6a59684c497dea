"""The benchmark's result (benchmark.json, ``documents.BenchmarkResult``), its Markdown
table and its plot.
"""
import os
from typing import Callable, List, Optional

from power_bert.documents import BASELINE, POWER, BenchmarkResult
from power_bert.outputs import markdown_table_lines, write_json_atomically

LABELS = {BASELINE: "BERT (baseline)", POWER: "PoWER-BERT"}


def _settings(result: BenchmarkResult) -> str:
    """", XLA" and ", mixed precision <type>" as they apply (results written before
    --MIXED_PRECISION have no entry: float32)."""
    precision = result.mixed_precision or "none"
    return "%s%s" % (", XLA" if result.xla else "",
                     "" if precision == "none" else ", mixed precision %s" % precision)


_NOTES = ("\nSpeed-up: baseline median time / model median time, same padding. Ideal: "
          "encoder multiply-accumulates of the baseline / of the model. %s\n")


def markdown_table(result: BenchmarkResult) -> str:
    """One row per model and padding mode; a shape benchmark's (``timing_only``) has no
    metric column and its shape in the head."""
    metric = None if result.timing_only else result.runs[0].models[BASELINE].metric_name
    header = ["Padding", "Model"] + ([metric] if metric else []) + [
        "ms / example", "Word vectors / example", "Speed-up", "Ideal", "Measured / ideal"]
    rows = []
    for run in result.runs:
        for model in run.models.values():
            rows.append([run.padding + (", sorted by length" if run.sorted_by_length else ""),
                         model.label]
                        + (["%.2f" % model.metric] if metric else [])
                        + ["%.3f" % (1000.0 * model.seconds_per_example),
                           _format_vectors(model.word_vectors_per_example),
                           "%.2fx" % model.speedup, "%.2fx" % model.ideal_speedup,
                           "%.2f" % model.speedup_over_ideal])
    lines = markdown_table_lines(header, rows, "ll" + "r" * (len(header) - 2))
    notes = _NOTES % ("Random weights: no metric." if result.timing_only else
                      "Dynamic padding counts each example at its batch's length.")
    head = _timing_head(result) if result.timing_only else _head(result)
    return head + "\n".join(lines) + "\n" + notes


def _head(result: BenchmarkResult) -> str:
    """The first line of a checkpoint benchmark's table: data, settings, machine."""
    return ("Inference on the %s dev set (%d examples), batch %d, median of %d runs%s; %s, "
            "%d CPUs, TensorFlow %s.\n\n"
            % (result.task, result.num_examples, result.batch_size, result.num_runs,
               _settings(result), result.machine["platform"],
               result.machine["cpu_count"], result.machine["tensorflow"]))


def _timing_head(result: BenchmarkResult) -> str:
    """The first line of a shape benchmark's table (``shapes``): the shape, settings,
    machine."""
    config = result.bert_config
    return ("%s: %d encoders, hidden %d, %d heads, intermediate %d; %d synthetic examples "
            "(lengths %s, max %d), batch %d, median of %d runs%s; retention configuration "
            "%s; %s, %d CPUs, TensorFlow %s.\n\n"
            % (result.note.capitalize(), config["num_hidden_layers"], config["hidden_size"],
               config["num_attention_heads"], config["intermediate_size"],
               result.num_examples, result.lengths, result.seq_len,
               result.batch_size, result.num_runs, _settings(result),
               ",".join(map(str, result.retention_configuration)),
               result.machine["platform"], result.machine["cpu_count"],
               result.machine["tensorflow"]))


def _format_vectors(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "%d" % value if isinstance(value, int) else "%.1f" % value


def plot_formats() -> List[str]:
    """File name extensions ``plot`` can write (matplotlib's formats).

    Raises:
      ImportError: matplotlib is not installed.
    """
    from matplotlib.backend_bases import FigureCanvasBase
    return sorted(FigureCanvasBase.get_supported_filetypes())


def plot(result: BenchmarkResult, path: str):
    """Metric against milliseconds per example, one labelled point per model and padding."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    markers = {"fixed": "o", "dynamic": "s"}
    colours = {}
    # Points often share a metric value: stagger the labels above and below them.
    offsets = [8, -14, 20, -26]
    figure, axes = plt.subplots(figsize=(7, 4.5))
    index = 0
    for run in result.runs:
        for model in run.models.values():
            colour = colours.setdefault(model.label, "C%d" % len(colours))
            ms = 1000.0 * model.seconds_per_example
            axes.scatter([ms], [model.metric], marker=markers[run.padding], s=50,
                         color=colour)
            axes.annotate("%s (%s)" % (model.label, run.padding), (ms, model.metric),
                          textcoords="offset points", xytext=(4, offsets[index % len(offsets)]),
                          fontsize=8, color=colour)
            index += 1
    metric = result.runs[0].models[BASELINE].metric_name
    axes.set_xlabel("milliseconds per example (median, batch %d)" % result.batch_size)
    axes.set_ylabel("%s (dev, x100)" % metric)
    axes.set_title("%s: %s vs inference time" % (result.task, metric))
    axes.grid(True, alpha=0.3)
    axes.margins(0.2)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def markdown_path(output: str) -> str:
    """Where the Markdown table of ``output`` (benchmark.json) goes: benchmark.md."""
    return os.path.splitext(output)[0] + ".md"


def write_result(document, output: str, table: str, say: Callable[[str], None] = print):
    """Writes a results document (``to_json()``, or a dict) as JSON to ``output`` and its
    Markdown ``table`` beside it (.md), creating their folder, and prints the table."""
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    write_json_atomically(output, document.to_json() if hasattr(document, "to_json")
                          else document)
    md_path = markdown_path(output)
    with open(md_path, "w", encoding="utf-8") as writer:
        writer.write(table)
    say("")
    say(table)
    say("results written to %s and %s" % (output, md_path))


def write_outputs(result: BenchmarkResult, output: str, plot_path: Optional[str],
                  say: Callable[[str], None] = print):
    """Writes benchmark.json to ``output``, its table beside it (.md) and, when
    ``plot_path`` is given, the plot; creates their folders."""
    write_result(result, output, markdown_table(result), say)
    if plot_path:
        os.makedirs(os.path.dirname(os.path.abspath(plot_path)), exist_ok=True)
        plot(result, plot_path)
        say("plot written to %s" % plot_path)


__all__ = ["BASELINE", "POWER", "LABELS", "markdown_table", "plot_formats", "plot",
           "markdown_path", "write_result", "write_outputs"]
