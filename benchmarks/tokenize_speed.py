"""The training path's tokeniser (``power_bert.tokenization.Tokenizer``: translate tables
and a word cache) against the per-character loop it replaced (keras-bert's
``_tokenize`` with the same Google WordPiece, no cache): the same ids on every example
(checked first), then the time of encoding a GLUE file's examples, alternated, medians
(benchmarks/README.md, "Tokenising faster").

  python benchmarks/tokenize_speed.py runs/minilm_google/vocab.txt \\
      --TASKS sst-2 mrpc --FOLDERS ../shared/glue/SST-2 ../shared/glue/MRPC \\
      [--SPLIT train] [--RUNS 5]
"""
import argparse
import os
import statistics
import time


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("vocab", help="vocab.txt of the checkpoint")
    parser.add_argument("--TASKS", nargs="+", required=True, help="GLUE task names")
    parser.add_argument("--FOLDERS", nargs="+", required=True,
                        help="their folders, in the same order")
    parser.add_argument("--SPLIT", default="train", choices=["train", "dev", "test"])
    parser.add_argument("--RUNS", type=int, default=5)
    parser.add_argument("--CASED", action="store_true")
    args = parser.parse_args(argv)
    if len(args.TASKS) != len(args.FOLDERS):
        parser.error("--TASKS and --FOLDERS must name as many")
    import power_bert.backend  # noqa: F401  (quiet TensorFlow start-up)
    from keras_bert import Tokenizer as KerasBertTokenizer

    from power_bert.data import load_vocab, read_split
    from power_bert.tokenization import Tokenizer, wordpiece_tokenize

    class LoopTokenizer(KerasBertTokenizer):
        """What ``Tokenizer`` was before: keras-bert's loop, Google's WordPiece."""

        def _word_piece_tokenize(self, word):
            return wordpiece_tokenize(word, self._token_dict, self._token_unk)

    vocab = load_vocab(args.vocab)
    print("| file | examples | characters | per-character loop | translate tables + word cache "
          "| speed-up |")
    print("|---|---:|---:|---:|---:|---:|")
    for task, folder in zip(args.TASKS, args.FOLDERS):
        rows = read_split(task, folder, args.SPLIT).examples
        pairs = [(r.text_a, r.text_b) for r in rows]

        def encode_all(tokenizer):
            return [tokenizer.encode(a, b) for a, b in pairs]

        def fresh(kind):  # a new tokenizer per pass: the word cache starts empty
            return lambda: encode_all(kind(vocab, cased=args.CASED))

        runs = {"loop": fresh(LoopTokenizer), "tables": fresh(Tokenizer)}
        if runs["loop"]() != runs["tables"]():
            raise SystemExit("%s: the two tokenisers give different ids" % folder)
        times = {name: [] for name in runs}
        for _ in range(args.RUNS):
            for name, run in runs.items():
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)
        loop, tables = (statistics.median(times[name]) for name in ("loop", "tables"))
        chars = sum(len(a) + len(b or "") for a, b in pairs)
        print("| %s %s | %d | %d | %.3f s | %.3f s | %.1fx |" % (
            os.path.basename(os.path.normpath(folder)), args.SPLIT, len(pairs), chars, loop,
            tables, loop / tables))


if __name__ == "__main__":
    main()
