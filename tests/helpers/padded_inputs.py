"""The batches of test_inference.py, test_training.py and test_peers.py: real lengths that
cut into batches of known longest lengths, and a retention configuration around them.
Inputs come from ``helpers.inputs.make_inputs(LENGTHS, SEQ_LEN)``."""
from helpers.tiny import tiny_bert_config

SEQ_LEN = 12
BATCH = 4
# Large initial weights so that which words Extract keeps changes the outputs.
CONFIG = tiny_bert_config(max_position_embeddings=16, initializer_range=0.5)
# Real lengths per batch of 4: [3, 4, 2, 4] -> 4; [7, 5, 6, 2] -> 7; [12, 3, 9] -> 12.
LENGTHS = [3, 4, 2, 4, 7, 5, 6, 2, 12, 3, 9]
BATCH_LENGTHS = [4, 7, 12]
# l_j above some batch lengths (10 > 4, 7; 6 > 4) and below others (3 < all).
RETENTION = [10, 6, 3]
