"""Tests of power_bert.flops against a hand computation."""
import pytest

from power_bert.config import BertConfig
from power_bert.flops import (capped_retention, encoder_macs, ideal_speedup, model_cost,
                              validate_retention_configuration, word_vectors_processed)

SMALL = {"hidden_size": 4, "intermediate_size": 8, "num_hidden_layers": 2,
         "max_position_embeddings": 16}


def test_hand_computation_with_retention_3_2():
    # H=4, I=8, seq_len=5, retention (3, 2).
    # Encoder 1: n_in=5, l_1=3
    #   QKV 3*5*4*4=240, scores 5*5*4=100, values 5*5*4=100, attention output 5*4*4=80,
    #   feed-forward 3*4*8 + 3*8*4 = 96 + 96 = 192            -> 712
    # Encoder 2: n_in=3, l_2=2
    #   QKV 3*3*4*4=144, scores 3*3*4=36, values 3*3*4=36, attention output 3*4*4=48,
    #   feed-forward 2*4*8 + 2*8*4 = 64 + 64 = 128             -> 392
    # Total 712 + 392 = 1104.
    # No elimination, each encoder: 240 + 100 + 100 + 80 + (5*32 + 5*32 = 320) = 840;
    # total 1680. Ideal speed-up 1680 / 1104.
    macs = encoder_macs(SMALL, 5, (3, 2))
    first, second = macs["per_layer"]
    assert first == {"layer": 1, "n_in": 5, "n_out": 3, "qkv": 240, "attention_scores": 100,
                     "attention_values": 100, "attention_output": 80, "feed_forward": 192,
                     "total": 712}
    assert second == {"layer": 2, "n_in": 3, "n_out": 2, "qkv": 144, "attention_scores": 36,
                      "attention_values": 36, "attention_output": 48, "feed_forward": 128,
                      "total": 392}
    assert macs["total"] == 1104
    assert macs["retention_configuration"] == (3, 2)
    base = encoder_macs(SMALL, 5)
    assert [r["total"] for r in base["per_layer"]] == [840, 840] and base["total"] == 1680
    assert ideal_speedup(SMALL, 5, (3, 2)) == pytest.approx(1680 / 1104)
    # vectors entering the feed-forward: l_1 + l_2
    assert word_vectors_processed(5, (3, 2)) == 5
    assert word_vectors_processed(5, [5, 5], num_hidden_layers=2) == 10


def test_no_elimination_is_speedup_one():
    assert ideal_speedup(SMALL, 5, (5, 5)) == 1.0
    assert ideal_speedup(SMALL, 5, None) == 1.0
    assert encoder_macs(SMALL, 5, (5, 5)) == encoder_macs(SMALL, 5)


def test_bert_base_scale():
    base = {"hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12}
    per_layer = 4 * 128 * 768 * 768 + 2 * 128 * 128 * 768 + 2 * 128 * 768 * 3072
    assert encoder_macs(base, 128)["total"] == 12 * per_layer
    assert ideal_speedup(base, 128, [128] + [1] * 11) > 5


def test_string_configuration_accepted():
    assert validate_retention_configuration("3, 2", 5, 2) == (3, 2)
    assert encoder_macs(SMALL, 5, "3,2")["total"] == 1104


@pytest.mark.parametrize("config,match", [
    ((3,), r"\[3\] has 1 entries but the model has 2"),
    ((3, 2, 1), r"has 3 entries but the model has 2"),
    ((3, 0), r"\[1, seq_len=5\]; got l_2=0"),
    ((6, 2), r"got l_1=6"),
    ((2, 3), r"non-increasing; got l_1=2 < l_2=3"),
    ((2.5, 2), r"non-integer entries \[2.5\]"),
    ((True, 1), r"non-integer"),
    ("3,x", r"not a comma-separated list"),
])
def test_invalid_configurations_raise(config, match):
    with pytest.raises(ValueError, match=match):
        encoder_macs(SMALL, 5, config)


def test_invalid_seq_len_raises():
    with pytest.raises(ValueError, match="exceeds max_position_embeddings 16"):
        encoder_macs(SMALL, 17)
    with pytest.raises(ValueError, match="positive integer"):
        word_vectors_processed(0, (1,))
    with pytest.raises(ValueError, match="l_2=9"):
        word_vectors_processed(8, (8, 9))


def test_capped_retention_keeps_at_most_the_vectors_there_are():
    assert capped_retention((3, 2), 5, 2) == [3, 2]
    assert capped_retention((3, 2), 2, 2) == [2, 2]
    assert capped_retention(None, 4, 2) == [4, 4]


def test_model_cost_by_hand():
    # Batches of 3 examples at T=5 and 1 example at T=2; retention (3, 2).
    # T=5: kept (3, 2), 5 vectors and 1104 MACs an example (above).
    # T=2: kept (2, 2); each encoder 3*2*16 + 2*2*4 + 2*2*4 + 2*16 + 2*2*4*8 = 288 MACs,
    #   576 in all, 4 vectors.
    # PoWER-BERT: vectors (3*5 + 4) / 4 = 4.75, MACs 3*1104 + 576 = 3888.
    # Baseline: vectors (3*10 + 4) / 4 = 8.5, MACs 3*1680 + 576 = 5616.
    power = model_cost(SMALL, (3, 2), [5, 2], [3, 1])
    assert power == {"word_vectors_per_example": 4.75, "encoder_macs_total": 3888,
                     "encoder_macs_per_example": 972.0}
    baseline = model_cost(SMALL, None, [5, 2], [3, 1])
    assert baseline == {"word_vectors_per_example": 8.5, "encoder_macs_total": 5616,
                        "encoder_macs_per_example": 1404.0}
    # One batch at the full length: the ratio is ideal_speedup.
    assert (model_cost(SMALL, None, [5], [7])["encoder_macs_total"]
            / model_cost(SMALL, (3, 2), [5], [7])["encoder_macs_total"]
            == ideal_speedup(SMALL, 5, (3, 2)))
    config = BertConfig(vocab_size=10, hidden_size=4, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=8, max_position_embeddings=16)
    assert model_cost(config, (3, 2), [5, 2], [3, 1]) == power


def test_model_cost_needs_examples_and_matching_lists():
    with pytest.raises(ValueError, match="at least one example"):
        model_cost(SMALL, None, [], [])
    with pytest.raises(ValueError, match="2 batch lengths but 1 batch sizes"):
        model_cost(SMALL, None, [5, 2], [3])
