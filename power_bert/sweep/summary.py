"""The sweep's summary: pure functions of the cells' results and the benchmark (no files,
no TensorFlow). Metrics are x100; a "setting" is one (LAMBDA, LR_SOFT_EXTRACT) pair,
whose seeds are averaged."""
import math
from typing import Dict, List, Optional, Sequence, Tuple

from power_bert.documents import ModelTiming, RunResults
from power_bert.sweep.cells import Cell


def pareto_front(points: Sequence[Tuple[float, float]]) -> List[int]:
    """Indices of the points (time, metric) that no other point beats: none is at least
    as fast and at least as good and better in one of the two. Sorted by time.

    Args:
      points: (time, metric); lower time and higher metric are better.
    """
    front = []
    for i, (time_i, metric_i) in enumerate(points):
        dominated = any(
            time_j <= time_i and metric_j >= metric_i and (time_j < time_i or metric_j > metric_i)
            for j, (time_j, metric_j) in enumerate(points) if j != i)
        if not dominated:
            front.append(i)
    return sorted(front, key=lambda i: (points[i][0], -points[i][1]))


def mean_std(values: Sequence[float]) -> Tuple[float, Optional[float]]:
    """Mean and sample standard deviation (n - 1; None for one value)."""
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, None
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))


def timing_entry(entry: ModelTiming) -> Dict:
    """What the sweep keeps of a model's benchmark.json entry in one padding mode."""
    return {"seconds_per_example": entry.seconds_per_example,
            "speedup": entry.speedup, "ideal_speedup": entry.ideal_speedup,
            "benchmark_metric": entry.metric}


def cell_record(cell: Cell, result: RunResults, config: Dict, seq_len: int,
                timing: Optional[Dict]) -> Dict:
    """One cell's entry of sweep.json: its results.json numbers (metrics x100) and its
    benchmark entries by padding (None without a benchmark)."""
    from power_bert.flops import ideal_speedup
    main = result.main_metric
    power = result.power_bert
    retention = list(result.retention_configuration)
    record = {
        "lambda": cell.lambda_, "lr_soft_extract": cell.lr_soft_extract, "seed": cell.seed,
        "folder": cell.folder_name, "run_dir": result.run_dir,
        "skipped": bool(result.skipped),
        "retention_configuration": retention,
        "dev_metric": 100 * power.dev_metrics[main],
        "selection_metric": 100 * power.selection_metrics[main],
        "epochs_chosen": {"search": result.search.epoch, "retrain": power.epoch},
        "word_vectors_per_example": power.word_vectors_per_example,
        "ideal_speedup": ideal_speedup(config, seq_len, retention),
    }
    if timing is not None:
        record["padding"] = {padding: timing_entry(entry) for padding, entry in timing.items()}
    return record


def setting_row(lambda_: float, rate: float, group: Sequence[Dict],
                paddings: Sequence[str]) -> Dict:
    """One setting's row: the means and spreads over its seeds' ``cell_record``s."""
    metric, spread = mean_std([c["selection_metric"] for c in group])
    dev, dev_spread = mean_std([c["dev_metric"] for c in group])
    row = {"lambda": lambda_, "lr_soft_extract": rate, "seeds": [c["seed"] for c in group],
           "metric_mean": metric, "metric_std": spread,
           "dev_metric_mean": dev, "dev_metric_std": dev_spread,
           "retention_configurations": {str(c["seed"]): c["retention_configuration"]
                                        for c in group},
           "word_vectors_per_example": mean_std(
               [c["word_vectors_per_example"] for c in group])[0],
           "ideal_speedup": mean_std([c["ideal_speedup"] for c in group])[0]}
    if paddings:
        row["padding"] = {padding: {
            "seconds_per_example": mean_std(
                [c["padding"][padding]["seconds_per_example"] for c in group])[0],
            "speedup": mean_std([c["padding"][padding]["speedup"] for c in group])[0]}
            for padding in paddings}
    return row


def setting_rows(cells: Sequence[Dict], paddings: Sequence[str]) -> List[Dict]:
    """The rows of the settings, in the order of their first cell."""
    settings: Dict[Tuple[float, float], List[Dict]] = {}
    for cell in cells:
        settings.setdefault((cell["lambda"], cell["lr_soft_extract"]), []).append(cell)
    return [setting_row(lambda_, rate, group, paddings)
            for (lambda_, rate), group in settings.items()]


def mark_pareto_front(rows: List[Dict], baseline: Dict) -> List[Dict]:
    """The Pareto front over the baseline and every row in every padding mode
    ({"model": "baseline" or "row", "row": index, "padding"}); each row gets "pareto",
    its paddings on the front."""
    points, names = [], []
    for padding, entry in baseline["padding"].items():
        points.append((entry["seconds_per_example"], baseline["selection_metric"]))
        names.append({"model": "baseline", "padding": padding})
    for index, row in enumerate(rows):
        for padding, entry in row["padding"].items():
            points.append((entry["seconds_per_example"], row["metric_mean"]))
            names.append({"model": "row", "row": index, "padding": padding})
    front = [names[i] for i in pareto_front(points)]
    for row_index, row in enumerate(rows):
        row["pareto"] = [p["padding"] for p in front if p.get("row") == row_index]
    return front


def choose_setting(rows: List[Dict], baseline: Dict, max_drop: float, held_out: bool) -> Dict:
    """The chosen setting: the largest ideal speed-up whose mean selection metric is at
    most ``max_drop`` points below the baseline's, else the best mean metric; each row
    gets "chosen"."""
    where = "held-out" if held_out else "dev"
    floor = baseline["selection_metric"] - max_drop
    within = [i for i, row in enumerate(rows) if row["metric_mean"] >= floor]
    if within:
        best = max(within, key=lambda i: (rows[i]["ideal_speedup"], rows[i]["metric_mean"]))
        rule = ("the largest ideal speed-up with the mean %s metric at most %g points below "
                "the baseline's" % (where, max_drop))
    else:
        best = max(range(len(rows)), key=lambda i: rows[i]["metric_mean"])
        rule = ("no setting within %g points of the baseline: the best mean %s metric"
                % (max_drop, where))
    for index, row in enumerate(rows):
        row["chosen"] = index == best
    return {"lambda": rows[best]["lambda"], "lr_soft_extract": rows[best]["lr_soft_extract"],
            "rule": rule, "dev_metric_mean": rows[best]["dev_metric_mean"],
            "dev_metric_std": rows[best]["dev_metric_std"]}


def summarise(cells: Sequence[Dict], baseline: Dict, max_drop: float,
              held_out: bool) -> Dict:
    """The rows (one per (LAMBDA, LR_SOFT_EXTRACT)), the Pareto front and the choice.

    Args:
      cells: ``cell_record``s.
      baseline: {"selection_metric", "dev_metric"} (x100) and, with a benchmark,
        "padding": {padding: ``timing_entry``}.
      max_drop: points of the selection metric the chosen setting may lose.
      held_out: whether the selection metric is on a held-out part of train (then dev is
        reported for the chosen setting only).

    Returns:
      {"rows": [...], "pareto_front": [...], "chosen": {...}}.
    """
    paddings = list(baseline.get("padding", ()))
    rows = setting_rows(cells, paddings)
    front = mark_pareto_front(rows, baseline) if paddings else []
    chosen = choose_setting(rows, baseline, max_drop, held_out)
    return {"rows": rows, "pareto_front": front, "chosen": chosen}


__all__ = ["pareto_front", "mean_std", "timing_entry", "cell_record", "setting_row",
           "setting_rows", "mark_pareto_front", "choose_setting", "summarise"]
