"""The ``power-bert`` subcommands (``power_bert.cli``), one module each, each with
``add_arguments(parser)`` (its upper-case flags, in the one style of ``flags.py``) and
``run(args)``. The library below them takes typed options and never reads flags.

  train, evaluate (eval), predict, main   a pipeline run (``run_options.py``)
  check_data, convert, submit, demo       data, checkpoints, GLUE files, run.sh's default
  benchmark, ablation, elimination        timing, word-selection ablation, pictures
  export, sweep                           serving, the LAMBDA trade-off
"""
