"""``power-bert demo``: the embedded default of ``run.sh``, a synthetic sentiment data set
and a small, randomly initialised BERT checkpoint (``synthetic.make_demo``; not real data,
not a pre-trained model).

    power-bert demo --OUTPUT_DIR output/demo/demo   # writes .../data and .../bert
"""
from power_bert.commands.flags import nonnegative_int
from power_bert.synthetic import make_demo


def add_arguments(parser):
    parser.add_argument("--OUTPUT_DIR", required=True,
                        help="folder of the data (OUTPUT_DIR/data) and the checkpoint "
                             "(OUTPUT_DIR/bert)")
    parser.add_argument("--SEED", type=nonnegative_int, default=0,
                        help="seed of the sentences and the random weights (default "
                             "%(default)s)")


def run(args) -> int:
    make_demo(args.OUTPUT_DIR, args.SEED)
    return 0
