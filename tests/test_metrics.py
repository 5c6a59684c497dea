"""Task metrics against values worked out by hand."""
import math

import numpy as np
import pytest

from power_bert.metrics import compute_metrics, format_metrics, main_metric_value

# A binary example worked out by hand (positive class = 1):
#
#                 predicted 1   predicted 0
#   gold 1          TP = 4        FN = 1
#   gold 0          FP = 2        TN = 3
#
#   accuracy  = (TP + TN) / 10 = 7 / 10                         = 0.7
#   precision = TP / (TP + FP) = 4 / 6,  recall = TP / (TP + FN) = 4 / 5
#   F1        = 2 P R / (P + R) = (16/15) / (22/15) = 8 / 11     = 0.727272...
#   MCC       = (TP TN - FP FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN))
#             = (12 - 2) / sqrt(6 * 5 * 5 * 4) = 10 / sqrt(600)  = 0.408248...
GOLD = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0])
PRED = np.array([1, 1, 1, 1, 0, 1, 1, 0, 0, 0])


def _probabilities(classes, num_classes=2):
    """One-hot-ish probabilities whose argmax is ``classes``."""
    probs = np.full((len(classes), num_classes), 0.1 / (num_classes - 1))
    probs[np.arange(len(classes)), classes] = 0.9
    return probs


def test_hand_computed_binary_metrics():
    mrpc = compute_metrics("mrpc", GOLD, _probabilities(PRED))
    assert list(mrpc) == ["f1", "accuracy"]
    assert mrpc["f1"] == pytest.approx(8 / 11)
    assert mrpc["accuracy"] == pytest.approx(0.7)
    cola = compute_metrics("cola", GOLD, _probabilities(PRED))
    assert list(cola) == ["mcc", "accuracy"]
    assert cola["mcc"] == pytest.approx(10 / math.sqrt(600))


def test_logits_and_class_indices_are_accepted():
    logits = np.where(_probabilities(PRED) > 0.5, 2.5, -1.0)
    assert compute_metrics("qqp", GOLD, logits)["f1"] == pytest.approx(8 / 11)
    assert compute_metrics("qqp", GOLD, PRED)["f1"] == pytest.approx(8 / 11)


def test_three_class_accuracy_takes_argmax():
    # rows: argmax 0, 2, 1, 1 against gold 0, 2, 2, 1 -> 3 of 4 right
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.5, 0.3], [0.3, 0.4, 0.3]])
    assert compute_metrics("mnli-m", [0, 2, 2, 1], probs) == {"accuracy": 0.75}


def test_hand_computed_correlations():
    # gold x = 1, 2, 3; predictions y = 1, 3, 2. Deviations from the means (2, 2):
    # dx = -1, 0, 1 and dy = -1, 1, 0: cov = 1, var x = var y = 2, so pearson = 1/2.
    # The values are their own ranks, so spearman is also 1/2.
    result = compute_metrics("sts-b", [1.0, 2.0, 3.0], [1.0, 3.0, 2.0])
    assert list(result) == ["spearman", "pearson"]
    assert result["spearman"] == pytest.approx(0.5)
    assert result["pearson"] == pytest.approx(0.5)
    # gold 0, 1, 2, 3 and predictions 0, 1, 4, 9 (monotone): spearman 1;
    # pearson = 15 / sqrt(5 * 49) with dx = -1.5, -.5, .5, 1.5 and dy = -3.5, -2.5, .5, 5.5.
    result = compute_metrics("sts-b", [0, 1, 2, 3], np.array([[0.0], [1.0], [4.0], [9.0]]))
    assert result["spearman"] == pytest.approx(1.0)
    assert result["pearson"] == pytest.approx(15 / math.sqrt(245))


def test_constant_prediction_gives_zero_not_nan():
    with np.errstate(all="raise"):
        cola = compute_metrics("cola", GOLD, _probabilities(np.ones(10, dtype=int)))
        assert cola == {"mcc": 0.0, "accuracy": 0.5}
        sts = compute_metrics("sts-b", [0.5, 2.0, 4.0], [3.0, 3.0, 3.0])
        assert sts == {"spearman": 0.0, "pearson": 0.0}
        constant_gold = compute_metrics("sts-b", [3.0, 3.0, 3.0], [0.5, 2.0, 4.0])
        assert constant_gold == {"spearman": 0.0, "pearson": 0.0}
        # no positive predicted and none in the gold labels: F1 is 0, accuracy 1
        no_positive = compute_metrics("mrpc", [0, 0, 0], _probabilities([0, 0, 0]))
        assert no_positive == {"f1": 0.0, "accuracy": 1.0}
        # a single example
        assert compute_metrics("cola", [1], _probabilities([1]))["mcc"] == 0.0


def test_bad_shapes_and_lengths_raise():
    with pytest.raises(ValueError, match="3 labels but 2 predictions"):
        compute_metrics("cola", [0, 1, 1], _probabilities([0, 1]))
    with pytest.raises(ValueError, match="3 classes"):
        compute_metrics("mnli-m", [0, 1], _probabilities([0, 1]))
    with pytest.raises(ValueError, match="empty"):
        compute_metrics("rte", [], np.zeros((0, 2)))
    with pytest.raises(ValueError, match="class indices"):
        compute_metrics("rte", [0, 1], [0.2, 0.8])
    with pytest.raises(ValueError, match="regression predictions"):
        compute_metrics("sts-b", [1.0, 2.0], np.zeros((2, 2)))


def test_main_metric_value():
    assert main_metric_value("cola", {"mcc": 0.52, "accuracy": 0.8}) == 0.52
    assert main_metric_value("mrpc", {"f1": 0.88, "accuracy": 0.84}) == 0.88
    assert main_metric_value("sts-b", {"spearman": 0.85, "pearson": 0.86}) == 0.85
    with pytest.raises(ValueError, match="'mcc'"):
        main_metric_value("cola", {"accuracy": 0.8})


def test_format_metrics():
    assert format_metrics({"mcc": 0.523051, "accuracy": 0.8}) == "mcc=52.31 accuracy=80.00"
    assert format_metrics({}) == ""
