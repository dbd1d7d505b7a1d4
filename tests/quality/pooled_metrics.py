"""Ranking metrics of pooled scores, shared by cross_validate.sh and spamassassin_cv.sh
(imported with the script's directory on PYTHONPATH)."""

import math


def _mean_ranks(values):
    """Each value's 1-based rank in ascending order, ties sharing their mean rank."""
    order = sorted(range(len(values)), key=values.__getitem__)
    out = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j < len(order) and values[order[j]] == values[order[i]]:
            j += 1
        for k in range(i, j):
            out[order[k]] = (i + j + 1) / 2
        i = j
    return out


def auc(pos, neg):
    """ROC AUC as Mann-Whitney, ties counted half."""
    n, m = len(pos), len(neg)
    rank_sum = sum(_mean_ranks(list(pos) + list(neg))[:n])
    return (rank_sum - n * (n + 1) / 2) / (n * m)


def recall_at(pos, neg, fpr):
    """Share of pos strictly above the threshold that lets int(fpr * len(neg)) of neg at or
    above it (the highest negative not allowed), and that threshold."""
    allowed = int(fpr * len(neg))
    top = sorted(neg, reverse=True)
    thr = top[allowed] if allowed < len(top) else -1
    return sum(1 for v in pos if v > thr) / len(pos), thr


def ranks(scores):
    """Each score's rank among all of them, from 0 (lowest) to 1 (highest), ties sharing
    their mean rank: puts two filters' scores on one scale to combine them."""
    return [(r - 1) / max(1, len(scores) - 1) for r in _mean_ranks(scores)]


def ece(probabilities, truths, bins=15):
    """Expected calibration error of the top label's probability over `bins` equal bins,
    as `mailtriage eval` computes it. probabilities: one {label: p} per message; truths:
    the true labels."""
    count, conf, hits = [0] * bins, [0.0] * bins, [0] * bins
    for p, truth in zip(probabilities, truths):
        top = max(p, key=p.get)
        b = min(bins - 1, int(p[top] * bins))
        count[b] += 1
        conf[b] += p[top]
        hits[b] += top == truth
    n = sum(count)
    return sum(abs(hits[b] - conf[b]) for b in range(bins)) / n if n else 0.0


def with_temperature(p, t):
    """The probabilities rescaled as if every margin were divided by t (softmax of
    log p / t). Exact for one class per label; where a label sums sub-classes' probabilities
    it rescales the sum, which a recalibration step in training would not do exactly."""
    logs = {k: math.log(max(v, 1e-15)) / t for k, v in p.items()}
    top = max(logs.values())
    e = {k: math.exp(v - top) for k, v in logs.items()}
    s = sum(e.values())
    return {k: v / s for k, v in e.items()}


def log_loss(probabilities, truths):
    """Mean negative log probability of the true label."""
    return -sum(math.log(max(1e-15, p[t])) for p, t in zip(probabilities, truths)) / len(truths)
