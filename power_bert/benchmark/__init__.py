"""Inference benchmark: fine-tuned BERT against PoWER-BERT on a task's dev set.

  python -m power_bert.benchmark --BASELINE out/sst-2/finetune.hdf5 \
      --POWER out/sst-2/retrain.hdf5 --TASK sst-2 --DATA_DIR glue/SST-2 \
      --VOCAB_PATH uncased_L-12_H-768_A-12/vocab.txt --PADDING both --PLOT plot.png

(``power-bert benchmark`` takes the same flags.) For each padding mode the models are
rebuilt from their stage checkpoints (``checkpoint.StageCheckpoint``), the dev set
(loaded once, kept in memory as numpy) is predicted once per model to warm up (tracing,
XLA compilation, caches), then whole-dev-set inference is timed with the models
alternating A B A B ... for RUNS rounds, so that whatever else the machine does slows
every model alike. Reported: the median per model and the ratio of medians (baseline /
PoWER-BERT), which is steadier than absolute times. The timed region is the model work
only: batches are cut and converted to int32 arrays before timing
(``inference.prepare_batches``).

Padding modes:
  fixed    every batch is [B, N], N = the task's max sequence length (as in the paper).
  dynamic  every batch is cut to its longest real example, T_b <= N (models built
           with seq_len=None; see ``power_bert.inference``).

Word vectors processed per example (vectors entering the encoders' feed-forward
networks, ``flops.word_vectors_processed``):
  fixed    baseline L * N;  PoWER-BERT sum_j l_j.
  dynamic  the dev-set average, each example counted at its batch's length T_b:
           baseline L * T_b;  PoWER-BERT sum_j min(l_j, T_b) (Extract keeps at most
           the vectors there are).
Ideal speed-up (compute-bound, encoder matrix products only, ``flops.model_cost``):
  sum_b n_b * MACs(T_b, no elimination) / sum_b n_b * MACs(T_b, min(l_j, T_b)), over
  the actual batches b (n_b examples of length T_b); with fixed padding T_b = N and
  this is ``flops.ideal_speedup(config, N, retention)``.

Writes OUTPUT (benchmark.json), a Markdown table beside it (benchmark.md) and, with
--PLOT, metric against time per example. Errors in flags or files print one
"error: ..." line and exit with status 2, before anything is loaded or written.

The flags and their validation, into ``engine.BenchmarkOptions``, are the command's
(``power_bert/commands/benchmark.py``). Modules:
  engine   the models in the rotation (opened by ``power_bert.trained``), one
           measurement per padding mode (``run_padding``) and the results document,
           for checkpoints, shapes and peers (``benchmark``, ``shape_benchmark``,
           ``peer_benchmark``).
  timing   warm-up and interleaved timed passes (``time_models``), ``machine_info``.
  report   the result's keys, ``markdown_table``, ``plot``, ``write_outputs``.
  shapes   ``--BERT_CONFIG_PATH``: random-weight models of a shape and synthetic inputs.
  peers    ``--PEERS hf savedmodel onnx``: against Hugging Face transformers on
           PyTorch and the exported PoWER-BERT (SavedModel, ONNX Runtime; optional
           packages), same weights and token ids, engines checked to agree first.
"""
