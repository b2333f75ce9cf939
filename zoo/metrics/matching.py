"""Scores of learnt codes against labels: InfoGAN's categorical code as an unsupervised
classifier, and the linear / k-NN probes of BiGAN's encoder features (Donahue et al. 2017).

Matching and classifiers come from scipy and scikit-learn; only the bookkeeping is here.
"""

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.linear_model import LogisticRegression
from sklearn.metrics.cluster import contingency_matrix
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def matched_accuracy(predicted, labels) -> float:
    """Accuracy of ``predicted`` categories as a classifier of ``labels`` once each category is
    matched to one label by the Hungarian method (scipy's linear_sum_assignment on the
    category x label counts), the matching that maximises the number of agreements.

    An unsupervised code's category numbers are arbitrary: without matching, the agreement with
    labels means nothing. With more categories than labels (or the reverse), the unmatched ones
    count as errors.
    """
    predicted, labels = np.asarray(predicted), np.asarray(labels)
    counts = contingency_matrix(predicted, labels)
    rows, cols = linear_sum_assignment(counts, maximize=True)
    return float(counts[rows, cols].sum() / len(labels))


def _split(features, labels, test_size: float, seed: int):
    return train_test_split(np.asarray(features), np.asarray(labels), test_size=test_size, random_state=seed, stratify=np.asarray(labels))


def linear_probe_accuracy(features, labels, test_size: float = 0.5, seed: int = 0) -> float:
    """Held-out accuracy of a logistic-regression classifier (on standardised features) trained on
    a stratified ``1 - test_size`` share of (features, labels): how linearly the labels can be
    read off the features."""
    train_x, test_x, train_y, test_y = _split(features, labels, test_size, seed)
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    return float(probe.fit(train_x, train_y).score(test_x, test_y))


def knn_probe_accuracy(features, labels, k: int = 5, test_size: float = 0.5, seed: int = 0) -> float:
    """Held-out accuracy of a ``k``-nearest-neighbour classifier on (features, labels): whether
    examples with the same label land near each other, linearly separable or not."""
    train_x, test_x, train_y, test_y = _split(features, labels, test_size, seed)
    return float(KNeighborsClassifier(n_neighbors=k).fit(train_x, train_y).score(test_x, test_y))
