"""Token arrays with known real lengths, shared by test_inference.py and test_training.py."""
import numpy as np

from power_bert.config import BertConfig

SEQ_LEN = 12
BATCH = 4
# Large initial weights so that which words Extract keeps changes the outputs.
CONFIG = BertConfig(vocab_size=30, hidden_size=16, num_hidden_layers=3, num_attention_heads=2,
                    intermediate_size=32, max_position_embeddings=16, initializer_range=0.5)
# Real lengths per batch of 4: [3, 4, 2, 4] -> 4; [7, 5, 6, 2] -> 7; [12, 3, 9] -> 12.
LENGTHS = [3, 4, 2, 4, 7, 5, 6, 2, 12, 3, 9]
BATCH_LENGTHS = [4, 7, 12]
# l_j above some batch lengths (10 > 4, 7; 6 > 4) and below others (3 < all).
RETENTION = [10, 6, 3]


def make_inputs(lengths, width=SEQ_LEN, seed=0):
    """[CLS]=2 then random non-zero ids, segment 1 on the second half, zeros after."""
    rng = np.random.RandomState(seed)
    tokens = np.zeros((len(lengths), width), np.int32)
    segments = np.zeros((len(lengths), width), np.int32)
    for i, length in enumerate(lengths):
        tokens[i, :length] = rng.randint(1, CONFIG.vocab_size, size=length)
        tokens[i, 0] = 2
        segments[i, length // 2:length] = 1
    return [tokens, segments]
