"""Ranking metrics of pooled scores, shared by cross_validate.sh and spamassassin_cv.sh
(imported with the script's directory on PYTHONPATH)."""


def auc(pos, neg):
    """ROC AUC as Mann-Whitney, ties counted half."""
    allv = sorted([(v, 1) for v in pos] + [(v, 0) for v in neg])
    rank_sum, i = 0.0, 0
    while i < len(allv):
        j = i
        while j < len(allv) and allv[j][0] == allv[i][0]:
            j += 1
        r = (i + j + 1) / 2
        rank_sum += r * sum(1 for k in range(i, j) if allv[k][1])
        i = j
    n, m = len(pos), len(neg)
    return (rank_sum - n * (n + 1) / 2) / (n * m)


def recall_at(pos, neg, fpr):
    """Share of pos strictly above the threshold that lets int(fpr * len(neg)) of neg at or
    above it (the highest negative not allowed), and that threshold."""
    allowed = int(fpr * len(neg))
    top = sorted(neg, reverse=True)
    thr = top[allowed] if allowed < len(top) else -1
    return sum(1 for v in pos if v > thr) / len(pos), thr
