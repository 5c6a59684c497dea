"""What the test modules share (no test module imports another test module):

  tiny           the one tiny BERT configuration family (``tiny_config(**overrides)``),
                 its vocabulary and the one Google-checkpoint builder (``write_tiny_bert``,
                 ``make_bert`` for the end-to-end runs).
  inputs         the one builder of token/segment id batches (``make_inputs``).
  runs           the end-to-end runs of the demo task: flags, data, a one-epoch run.
  exports        the tiny stage checkpoints and sentences of the export/predict tests.
  cli            exit codes and one-line errors of the command lines; benchmark scripts.
  padded_inputs  the batches of the fixed/dynamic padding tests.
  glue_fixtures  GLUE files of each task's layout (TSV and the hub's parquet).
  numpy_bert     a float64 numpy reference of BERT and PoWER-BERT's extraction.
  resume_world   the world of the kill-and-resume tests.
  distribute_worker  run as ``python -m helpers.distribute_worker`` (its own process).
"""
