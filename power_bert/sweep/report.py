"""The sweep's files for people: sweep.md (a table) and sweep.png (metric against time),
both read from sweep.json's content (``run.sweep_document``)."""
from typing import Dict, List, Optional

from power_bert.outputs import markdown_table_lines

SWEEP_MD, SWEEP_PNG = "sweep.md", "sweep.png"


def _points(value: Optional[float], spread: Optional[float] = None) -> str:
    if value is None:
        return "-"
    return "%.2f" % value if spread is None else "%.2f ± %.2f" % (value, spread)


def _held_out(document: Dict) -> bool:
    return document["selection"]["set"] == "tune"


def _header(document: Dict) -> str:
    """The set-up: task, model, values, seeds, model selection and the benchmark."""
    metric = document["metric_name"]
    bench = document.get("benchmark")
    head = ("Sweep of %s from %s: LAMBDA %s, LR_SOFT_EXTRACT %s, seeds %s (%d cells). "
            "Model selection: %s. %s x100, mean ± sample standard deviation over seeds. "
            % (document["task"], document["finetuned_checkpoint"],
               ", ".join("%g" % v for v in document["lambdas"]),
               ", ".join("%g" % v for v in document["lr_soft_extracts"]),
               ", ".join(map(str, document["seeds"])), len(document["cells"]),
               document["selection"]["protocol"], metric))
    if bench:
        head += ("Times: dev set (%d examples), batch %d, median of %d interleaved runs, mean "
                 "over seeds; %s, %d CPUs, TensorFlow %s." % (
                     bench["num_examples"], bench["batch_size"], bench["num_runs"],
                     bench["machine"]["platform"], bench["machine"]["cpu_count"],
                     bench["machine"]["tensorflow"]))
    return head


def _columns(document: Dict, paddings: List[str]) -> List[str]:
    """The table's column titles."""
    metric = document["metric_name"]
    held_out = _held_out(document)
    columns = ["LAMBDA", "LR_SOFT_EXTRACT", "%s %s" % ("held-out" if held_out else "dev",
                                                      metric)]
    if held_out:
        columns.append("dev %s (chosen only)" % metric)
    columns += ["retention configuration per seed", "ideal speed-up"]
    for padding in paddings:
        columns += ["%s ms / example" % padding, "%s speed-up" % padding]
    return columns + ["Pareto", "chosen"]


def _baseline_cells(document: Dict, paddings: List[str]) -> List[str]:
    base = document["baseline"]
    cells = ["BERT (baseline)", "-", _points(base["selection_metric"])]
    if _held_out(document):
        cells.append(_points(base["dev_metric"]))
    cells += ["none (all kept)", "1.00x"]
    for padding in paddings:
        entry = base["padding"][padding]
        cells += ["%.3f" % (1000 * entry["seconds_per_example"]), "1.00x"]
    on_front = [p["padding"] for p in document["pareto_front"] if p["model"] == "baseline"]
    return cells + [", ".join(on_front) or "-", "-"]


def _row_cells(document: Dict, row: Dict, paddings: List[str]) -> List[str]:
    cells = ["%g" % row["lambda"], "%g" % row["lr_soft_extract"],
             _points(row["metric_mean"], row["metric_std"])]
    if _held_out(document):
        cells.append(_points(row["dev_metric_mean"], row["dev_metric_std"])
                     if row["chosen"] else "-")
    cells += ["; ".join("%s: %s" % (seed, ",".join(map(str, retention)))
                        for seed, retention in row["retention_configurations"].items()),
              "%.2fx" % row["ideal_speedup"]]
    for padding in paddings:
        entry = row["padding"][padding]
        cells += ["%.3f" % (1000 * entry["seconds_per_example"]), "%.2fx" % entry["speedup"]]
    return cells + [", ".join(row.get("pareto", [])) or "-", "yes" if row["chosen"] else ""]


def _notes(document: Dict) -> List[str]:
    chosen = document["chosen"]
    return ["", "Chosen: LAMBDA %g, LR_SOFT_EXTRACT %g (%s); dev %s %s."
            % (chosen["lambda"], chosen["lr_soft_extract"], chosen["rule"],
               document["metric_name"],
               _points(chosen["dev_metric_mean"], chosen["dev_metric_std"])),
            "Ideal speed-up: encoder multiply-accumulates of the baseline / of the model at "
            "the full length (flops.ideal_speedup), mean over seeds. Speed-up: baseline "
            "median time / model median time, same padding, mean over seeds. Pareto: on the "
            "front of (time per example, mean metric) over every model and padding."]


def markdown(document: Dict) -> str:
    """sweep.md: the set-up, then one row per (LAMBDA, LR_SOFT_EXTRACT) and the baseline."""
    bench = document.get("benchmark")
    paddings = list(bench["paddings"]) if bench else []
    rows = [_baseline_cells(document, paddings)]
    rows += [_row_cells(document, row, paddings) for row in document["rows"]]
    lines = markdown_table_lines(_columns(document, paddings), rows)
    return (_header(document) + "\n\n" + "\n".join(lines) + "\n"
            + "\n".join(_notes(document)) + "\n")


def _plot_baselines(axes, document: Dict):
    base = document["baseline"]
    for padding, marker, label in (("fixed", "*", "BERT (baseline, fixed padding)"),
                                   ("dynamic", "D", "BERT, dynamic padding only")):
        if padding in base["padding"]:
            ms = 1000 * base["padding"][padding]["seconds_per_example"]
            axes.scatter([ms], [base["selection_metric"]], marker=marker, s=140,
                         color="black" if padding == "fixed" else "grey", zorder=3, label=label)


def _plot_settings(axes, document: Dict):
    """Every setting's mean metric and its spread over seeds, one series per padding."""
    several_rates = len(document["lr_soft_extracts"]) > 1
    markers = {"fixed": "o", "dynamic": "s"}
    for padding in document["benchmark"]["paddings"]:
        color = "C0" if padding == "fixed" else "C1"
        xs, ys, errors = [], [], []
        for row in document["rows"]:
            xs.append(1000 * row["padding"][padding]["seconds_per_example"])
            ys.append(row["metric_mean"])
            errors.append(row["metric_std"] or 0.0)
            name = "λ=%g" % row["lambda"] + (", lrs=%g" % row["lr_soft_extract"]
                                             if several_rates else "")
            axes.annotate(name, (xs[-1], ys[-1]), textcoords="offset points", xytext=(5, 4),
                          fontsize=7, color=color)
        axes.errorbar(xs, ys, yerr=errors, fmt=markers[padding], color=color, capsize=3,
                      label="PoWER-BERT, %s padding" % padding)


def _plot_front(axes, document: Dict):
    base = document["baseline"]
    front_xy = []
    for point in document["pareto_front"]:
        source = base if point["model"] == "baseline" else document["rows"][point["row"]]
        metric = source["selection_metric"] if point["model"] == "baseline" else source[
            "metric_mean"]
        front_xy.append((1000 * source["padding"][point["padding"]]["seconds_per_example"],
                         metric))
    if front_xy:
        axes.plot([x for x, _ in front_xy], [y for _, y in front_xy], "-", color="red",
                  linewidth=2, alpha=0.5, drawstyle="steps-post", label="Pareto front",
                  zorder=1)
        axes.scatter([x for x, _ in front_xy], [y for _, y in front_xy], s=160,
                     facecolors="none", edgecolors="red", zorder=4)


def plot(document: Dict, path: str):
    """Mean metric (error bars: standard deviation over seeds) against milliseconds per
    example for every setting and padding, the two baselines marked, the Pareto front
    drawn through its points."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure, axes = plt.subplots(figsize=(7.5, 5))
    _plot_baselines(axes, document)
    _plot_settings(axes, document)
    _plot_front(axes, document)
    axes.set_xlabel("milliseconds per example (median of %d runs, batch %d)"
                    % (document["benchmark"]["num_runs"], document["benchmark"]["batch_size"]))
    axes.set_ylabel("%s %s (x100), mean ± std over seeds %s"
                    % ("held-out" if _held_out(document) else "dev", document["metric_name"],
                       ",".join(map(str, document["seeds"]))))
    axes.set_title("%s: %s vs inference time" % (document["task"], document["metric_name"]))
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=7, loc="best")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


__all__ = ["SWEEP_MD", "SWEEP_PNG", "markdown", "plot"]
