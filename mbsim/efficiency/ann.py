"""A plain artificial network outside the MB, trained to criterion under the MB's plasticity strategies.

A perceptron (no hidden layer) or a one-hidden-layer network (ReLU) with a softmax output learns
scikit-learn's handwritten digits (``sklearn.datasets.load_digits``, 8x8 images shipped with the
package) by mini-batch stochastic gradient descent on the cross-entropy. Forward pass and
backpropagation are done as normal; a rule decides which proposed changes dw = -learning_rate x
gradient are made:

* restriction: the selector of :func:`mbsim.efficiency.strategies.make_selector` on the network's
  :class:`PlasticLayout` (every weight plastic, grouped by its postsynaptic neuron, biases as weights
  of a constant input); the selected changes are persistent updates.
* caching (Li & van Rossum 2020): every change goes to the transient store of a
  :class:`~mbsim.efficiency.learning.SynapticCache`, time counted in training steps (cost per step);
  a weight whose |transient| exceeds the threshold is consolidated.

Energy is M_alpha per phase (:class:`~mbsim.efficiency.learning.EnergyLedger`), as for the MB.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .learning import EnergyLedger, RunOutcome, SynapticCache
from .strategies import PlasticLayout

N_CLASSES_DIGITS = 10
PIXEL_MAX = 16.0  # load_digits pixels are counts 0..16


@dataclass(frozen=True)
class Digits:
    """A stratified train/test split of the digits, pixels scaled to [0, 1], labels 0..n_classes-1."""

    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    n_classes: int


def load_digits_split(classes, test_fraction: float, split_seed: int,
                      max_train_samples: int | None = None) -> Digits:
    """The digits of ``classes``, split into train and test sets (stratified by class)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    images, labels = load_digits(return_X_y=True)
    chosen = np.isin(labels, classes)
    relabel = {c: k for k, c in enumerate(sorted(classes))}
    x = images[chosen] / PIXEL_MAX
    y = np.array([relabel[c] for c in labels[chosen]])
    train_x, test_x, train_y, test_y = train_test_split(x, y, test_size=test_fraction, stratify=y,
                                                        random_state=split_seed)
    if max_train_samples is not None:
        train_x, train_y = train_x[:max_train_samples], train_y[:max_train_samples]
    return Digits(train_x, train_y, test_x, test_y, len(classes))


@dataclass(frozen=True)
class PlainNetwork:
    """A perceptron (``n_hidden = 0``) or one-hidden-layer network; its weights are one flat vector,
    each layer a (presynaptic + bias, postsynaptic) matrix in row-major order."""

    n_in: int
    n_hidden: int
    n_out: int

    @property
    def shapes(self) -> list[tuple[int, int]]:
        if self.n_hidden == 0:
            return [(self.n_in + 1, self.n_out)]
        return [(self.n_in + 1, self.n_hidden), (self.n_hidden + 1, self.n_out)]

    @property
    def n_weights(self) -> int:
        return sum(rows * cols for rows, cols in self.shapes)

    @property
    def layout(self) -> PlasticLayout:
        """Every weight plastic; its group is its postsynaptic neuron (hidden, then output)."""
        groups, offset = [], 0
        for rows, cols in self.shapes:
            groups.append(np.tile(np.arange(cols), rows) + offset)
            offset += cols
        return PlasticLayout(np.ones(self.n_weights, dtype=bool), np.concatenate(groups), offset)

    def initial_weights(self, rng: np.random.Generator) -> np.ndarray:
        """Normal weights with standard deviation 1/sqrt(fan-in) (LeCun initialisation)."""
        return np.concatenate([rng.normal(0.0, 1.0 / np.sqrt(rows), rows * cols)
                               for rows, cols in self.shapes])

    def layers(self, weights: np.ndarray) -> list[np.ndarray]:
        """Views of ``weights`` as the layer matrices."""
        out, start = [], 0
        for rows, cols in self.shapes:
            out.append(weights[start:start + rows * cols].reshape(rows, cols))
            start += rows * cols
        return out

    def _forward(self, weights: np.ndarray, x: np.ndarray) -> list[np.ndarray]:
        """Inputs of every layer (with the constant bias input) and the output probabilities."""
        inputs, activity = [], x
        layers = self.layers(weights)
        for j, matrix in enumerate(layers):
            inputs.append(np.hstack([activity, np.ones((len(activity), 1))]))
            drive = inputs[-1] @ matrix
            activity = np.maximum(drive, 0.0) if j < len(layers) - 1 else drive
        shifted = np.exp(activity - activity.max(axis=1, keepdims=True))
        return inputs + [shifted / shifted.sum(axis=1, keepdims=True)]

    def gradient(self, weights: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Flat gradient of the mean cross-entropy of the batch (x, y) (backpropagation)."""
        *inputs, probabilities = self._forward(weights, x)
        error = probabilities.copy()
        error[np.arange(len(y)), y] -= 1.0
        error /= len(y)
        layers = self.layers(weights)
        grads = [None] * len(layers)
        for j in range(len(layers) - 1, -1, -1):
            grads[j] = inputs[j].T @ error
            if j:
                error = (error @ layers[j][:-1].T) * (inputs[j][:, :-1] > 0)
        return np.concatenate([g.ravel() for g in grads])

    def accuracy(self, weights: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
        """Fraction of ``x`` classified as ``y``."""
        return float(np.mean(self._forward(weights, x)[-1].argmax(axis=1) == y))


class RestrictedRule:
    """Changes selected by a restriction strategy are made, as persistent updates."""

    def __init__(self, selector, weights: np.ndarray, ledger: EnergyLedger):
        self.selector, self.weights, self.ledger = selector, weights, ledger
        self.index = np.arange(len(weights))

    def update(self, proposed: np.ndarray) -> None:
        keep = self.selector.select(self.index, proposed)
        self.weights[keep] += proposed[keep]
        self.ledger.add("persistent", proposed[keep])

    def finish(self) -> None:
        """Nothing is pending at the end of training."""

    def energy(self) -> np.ndarray:
        return self.ledger.table()


class CachedRule:
    """Synaptic caching: changes go to the transient store, which is held for one step between
    updates; weights whose |transient| exceeds ``threshold`` are consolidated."""

    def __init__(self, cache: SynapticCache, threshold: float, consolidate_at_end: bool,
                 transient_update_cost: float):
        self.cache, self.threshold = cache, threshold
        self.consolidate_at_end, self.transient_update_cost = consolidate_at_end, transient_update_cost
        self.index = np.arange(len(cache.persistent))
        self.steps = 0

    @property
    def weights(self) -> np.ndarray:
        return self.cache.persistent + self.cache.transient

    def update(self, proposed: np.ndarray) -> None:
        if self.steps:
            self.cache.hold(1.0)
        self.steps += 1
        self.cache.store(self.index, proposed)
        self.cache.consolidate(self.cache.over(self.index, self.threshold))

    def finish(self) -> None:
        if self.consolidate_at_end:
            self.cache.consolidate(self.cache.held())

    def energy(self) -> np.ndarray:
        return self.cache.ledger.table(self.transient_update_cost)


def make_cached_rule(weights: np.ndarray, alphas, threshold: float, caching) -> CachedRule:
    """A caching rule starting from ``weights``; ``caching`` has ``decay_steps`` (None: no decay),
    ``maintenance_cost`` (per step), ``consolidate_at_end`` and ``transient_update_cost``."""
    decay = np.inf if caching.decay_steps is None else float(caching.decay_steps)
    cache = SynapticCache(weights, EnergyLedger(alphas), decay, caching.maintenance_cost, time_unit=1.0)
    return CachedRule(cache, threshold, caching.consolidate_at_end, caching.transient_update_cost)


def train(network: PlainNetwork, data: Digits, rule, training, rng: np.random.Generator) -> RunOutcome:
    """Mini-batch SGD under ``rule`` until the test accuracy, checked every ``evaluate_every`` steps
    and at the end of each epoch, reaches ``criterion`` (or ``max_epochs``). ``trials`` of the
    outcome counts training steps (mini-batches)."""
    steps, reached, n = 0, False, len(data.train_y)
    for _ in range(training.max_epochs):
        order = rng.permutation(n)
        for start in range(0, n, training.batch_size):
            batch = order[start:start + training.batch_size]
            proposed = -training.learning_rate * network.gradient(rule.weights, data.train_x[batch],
                                                                 data.train_y[batch])
            rule.update(proposed)
            steps += 1
            last = start + training.batch_size >= n
            if (steps % training.evaluate_every == 0 or last) and network.accuracy(
                    rule.weights, data.test_x, data.test_y) >= training.criterion:
                reached = True
                break
        if reached:
            break
    accuracy = network.accuracy(rule.weights, data.test_x, data.test_y)
    rule.finish()
    return RunOutcome(steps, reached, accuracy, rule.energy())
