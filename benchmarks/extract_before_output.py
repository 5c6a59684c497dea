"""Eliminating before the attention's output projection (``build_model(...,
inference=True)``, what eval, predict, export and the benchmark load) against the
trained order (everything on all words, then ``Extract``) with the same weights: the
largest difference of the dev predictions, then both timed alternately, as eval batches
(dynamic padding, sorted), medians in seconds (benchmarks/README.md, "Eliminating before
the output projection").

  python benchmarks/extract_before_output.py runs/peers-untrained-mrpc/finetune.hdf5 \\
      ../shared/glue/MRPC 67,51,44,13,3,1 bfloat16 11

Arguments: a fine-tuned checkpoint, the task's GLUE folder, the retention configuration,
the precision (none or bfloat16) and the timed passes.
"""
import sys

import numpy as np


def main(argv):
    checkpoint_path, data_dir, retention, precision, runs = argv
    import power_bert.backend  # noqa: F401  (quiet TensorFlow start-up)
    from power_bert import inference
    from power_bert.benchmark.timing import time_runners
    from power_bert.data import DataParser
    from power_bert.precision import policy
    from power_bert.trained import apply_overrides, check_trained, read_checkpoint

    baseline = read_checkpoint(checkpoint_path)
    trained = check_trained(baseline, "checkpoint")
    x, _ = DataParser(trained.vocab_path, trained.task, data_dir, seq_len=baseline.seq_len,
                      cased=baseline.cased).get_dev_data()
    power = apply_overrides(baseline, [int(v) for v in retention.split(",")])
    with policy(precision, inference=True):
        models = {"trained order": power.load_model(dynamic=True, name="trained_order"),
                  "before the output projection": power.load_model(
                      dynamic=True, name="before_projection", inference=True)}

    def run(model):
        return inference.predict(model, x, 32, dynamic=True)

    def compare(outputs):
        first, second = outputs.values()
        print("largest difference of the dev predictions: %g" % np.abs(first - second).max())

    results = time_runners([(name, lambda verbose=0, model=model: run(model))
                            for name, model in models.items()],
                           int(runs), warmup=1, verbose=0, after_warmup=compare)
    for name, result in results.items():
        print("%-30s %.3f s" % (name, float(np.median(result["times"]))))


if __name__ == "__main__":
    main(sys.argv[1:])
