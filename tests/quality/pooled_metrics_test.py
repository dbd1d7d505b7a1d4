#!/usr/bin/env python3
"""The ranking and calibration metrics cross_validate.sh and spamassassin_cv.sh report
(pooled_metrics.py), on scores small enough to work out by hand."""

import math
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pooled_metrics import auc, ece, log_loss, ranks, recall_at, with_temperature  # noqa: E402


class Auc(unittest.TestCase):
    def test_perfect_and_inverted(self):
        self.assertEqual(auc([3, 4], [1, 2]), 1.0)
        self.assertEqual(auc([1, 2], [3, 4]), 0.0)

    def test_ties_count_half(self):
        # pairs (pos, neg): (2,1) win, (2,2) half, (1,1) half, (1,2) loss -> 2 of 4
        self.assertEqual(auc([1, 2], [1, 2]), 0.5)
        # (3,1) (3,2) win, (2,1) win, (2,2) half -> 3.5 of 4
        self.assertEqual(auc([2, 3], [1, 2]), 0.875)


class RecallAt(unittest.TestCase):
    def test_the_highest_negative_not_allowed_is_the_threshold(self):
        neg = list(range(1000))          # 0.1% of 1,000: one negative may score above
        pos = [997.5, 998, 998.5, 999.5]
        recall, threshold = recall_at(pos, neg, 0.001)
        self.assertEqual(threshold, 998)  # 999 allowed, 998 is not
        self.assertEqual(recall, 0.5)     # strictly above 998: 998.5 and 999.5

    def test_fewer_negatives_than_one_allowed(self):
        recall, threshold = recall_at([5, 1], [2, 3], 0.001)
        self.assertEqual((recall, threshold), (0.5, 3))


class Ranks(unittest.TestCase):
    def test_scaled_to_zero_one_with_ties_sharing_their_mean(self):
        self.assertEqual(ranks([3, 1, 2, 2, 5]), [0.75, 0.0, 0.375, 0.375, 1.0])

    def test_degenerate_inputs(self):
        self.assertEqual(ranks([]), [])
        self.assertEqual(ranks([7]), [0.0])
        self.assertEqual(ranks([7, 7]), [0.5, 0.5])

    def test_order_preserving_so_auc_is_unchanged(self):
        pos, neg = [0.9, 0.4, 0.99], [0.1, 0.5, 0.2, 0.95]
        r = ranks(pos + neg)
        self.assertEqual(auc(r[:3], r[3:]), auc(pos, neg))


class Calibration(unittest.TestCase):
    def test_ece_of_a_calibrated_and_an_overconfident_bin(self):
        calibrated = [{"a": 0.75, "b": 0.25}] * 4
        self.assertAlmostEqual(ece(calibrated, ["a", "a", "a", "b"]), 0.0)
        overconfident = [{"a": 0.9, "b": 0.1}] * 2
        self.assertAlmostEqual(ece(overconfident, ["a", "b"]), 0.4)

    def test_log_loss(self):
        p = [{"a": 0.5, "b": 0.5}, {"a": 0.25, "b": 0.75}]
        self.assertAlmostEqual(log_loss(p, ["a", "b"]), (math.log(2) + math.log(4 / 3)) / 2)

    def test_temperature_one_changes_nothing_and_two_flattens(self):
        p = {"a": 0.8, "b": 0.2}
        same = with_temperature(p, 1.0)
        self.assertAlmostEqual(same["a"], 0.8)
        flat = with_temperature(p, 2.0)  # sqrt(0.8) : sqrt(0.2) = 2 : 1
        self.assertAlmostEqual(flat["a"], 2 / 3)


if __name__ == "__main__":
    unittest.main(verbosity=2)
