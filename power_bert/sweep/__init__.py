"""The accuracy-vs-time trade-off of one fine-tuned model over LAMBDA (and
LR_SOFT_EXTRACT) values and seeds: ``power-bert sweep`` (``commands/sweep.py``) /
``python -m power_bert.sweep``.

    power-bert sweep --TASK mrpc --FINETUNED_CHECKPOINT runs/mrpc/finetune.hdf5 \\
        --LAMBDAS 5e-4,1e-3,2e-3 --SEEDS 1,2,3 --DATA_DIR glue/MRPC \\
        --VOCAB_PATH minilm/vocab.txt --OUTPUT_DIR runs/mrpc-sweep --DYNAMIC_PADDING

Every cell (LAMBDA, LR_SOFT_EXTRACT, SEED) is one training run of the pipeline
(``pipeline.Pipeline.train``: configuration search and re-training from the given
fine-tuned model) in its own OUTPUT_DIR, ``OUTPUT_DIR/cells/lambda=<>,lrs=<>,seed=<>/``.
A cell whose run completed with the same options and input files is skipped when the
sweep runs again; an interrupted cell resumes from its last completed epoch (the
pipeline's resume). Then one interleaved benchmark (``power_bert.benchmark``) times the
fine-tuned model and every cell's model with fixed and dynamic padding.

OUTPUT_DIR receives:
  cells/<cell>/     each cell's pipeline output (runs/, results.json, log.txt, ...)
  benchmark.json/.md  the benchmark of all models (reused while models and settings stay)
  sweep.json        per cell and per (LAMBDA, LR_SOFT_EXTRACT): metric mean and standard
                    deviation over seeds, retention configuration per seed, measured and
                    ideal speed-up, Pareto front, the chosen setting
  sweep.md          the same as a table
  sweep.png         metric against measured time per example (error bars: standard
                    deviation over seeds), the baseline with fixed and with dynamic
                    padding, the Pareto front highlighted
  log.txt           the sweep's progress lines (each cell logs into its own folder)

Model selection: with --TUNE_FRACTION every cell chooses its epochs on the same held-out
part of the training set (seeded by --TUNE_SEED alone, so every seed holds out the same
examples), and the sweep chooses LAMBDA on it: the setting with the largest ideal
speed-up whose mean held-out metric is within --MAX_DROP points of the baseline's (else
the best metric). The dev set is reported for the chosen setting only. Without it, the
same rule runs on dev ("selected and reported on dev").

The package: ``cells`` (a cell, the checked options), ``run`` (the cells, the benchmark,
the files), ``summary`` (pure statistics: means, spreads, Pareto front, the choice) and
``report`` (sweep.md, sweep.png).
"""

from power_bert.sweep.cells import CELLS, Cell, SweepOptions
from power_bert.sweep.report import SWEEP_MD, SWEEP_PNG, markdown, plot
from power_bert.sweep.run import (BENCHMARK_JSON, PADDINGS, SWEEP_JSON, run_benchmark,
                                  run_cells, run_sweep, sweep_document)
from power_bert.sweep.summary import cell_record, mean_std, pareto_front, summarise

__all__ = ["CELLS", "Cell", "SweepOptions", "SWEEP_JSON", "SWEEP_MD", "SWEEP_PNG",
           "BENCHMARK_JSON", "PADDINGS", "run_cells", "run_benchmark", "sweep_document",
           "run_sweep", "cell_record", "mean_std", "pareto_front", "summarise", "markdown",
           "plot"]
