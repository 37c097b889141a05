"""Cross-validation the scikit-learn way: glassnet next to MLPClassifier and LogisticRegression.

    python examples/cross_validation.py [--epochs 200] [--folds 5] [--quick]

scikit-learn's breast_cancer (569 samples, 30 features), 5 stratified folds (shuffled,
random_state=0) shared by all three models, each in a Pipeline(StandardScaler(), model):

- GlassnetClassifier: an MLP 30-100-1 (ReLU, sigmoid), Adam 1e-3, batch 32, L2 alpha 1e-4;
- MLPClassifier with the same layers, optimizer, batch size, alpha and number of epochs (its
  early stop on a flat loss is turned off, so both train for exactly ``--epochs``);
- LogisticRegression, the linear baseline.

Prints the mean and standard deviation of accuracy and ROC AUC over the folds, the total fit
time of each model and the ratio of glassnet's to MLPClassifier's (one process; the models take
turns fold by fold; timings depend on the machine and on what else runs on it). ``--quick`` trains for 5 epochs on 3 folds, to check that it runs.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from glassnet.sklearn import GlassnetClassifier

HIDDEN = (100,)


def models(epochs: int) -> dict[str, object]:
    """The three pipelines, with the same network for glassnet and scikit-learn's MLP."""
    glassnet = GlassnetClassifier(
        hidden_layer_sizes=HIDDEN,
        learning_rate=1e-3,
        batch_size=32,
        epochs=epochs,
        alpha=1e-4,
        random_state=0,
    )
    mlp = MLPClassifier(
        hidden_layer_sizes=HIDDEN,
        learning_rate_init=1e-3,
        batch_size=32,
        max_iter=epochs,
        alpha=1e-4,
        n_iter_no_change=epochs + 1,
        random_state=0,
    )
    return {
        "glassnet": make_pipeline(StandardScaler(), glassnet),
        "MLPClassifier": make_pipeline(StandardScaler(), mlp),
        "LogisticRegression": make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--quick", action="store_true", help="5 epochs, 3 folds: only checks that it runs"
    )
    args = parser.parse_args()
    epochs, folds = (5, 3) if args.quick else (args.epochs, args.folds)
    X, y = load_breast_cancer(return_X_y=True)
    splits = list(StratifiedKFold(n_splits=folds, shuffle=True, random_state=0).split(X, y))
    print(
        f"breast_cancer {X.shape}, {folds}-fold cross-validation, MLP 30-{HIDDEN[0]}-1 for {epochs} epochs, "
        "batch 32"
    )
    pipelines = models(epochs)
    scores: dict[str, dict[str, list[float]]] = {name: {} for name in pipelines}
    # Fold by fold, each model in turn (rather than all folds of one model, then the next), so
    # that a machine busy with other work slows all three alike.
    for split in splits:
        for name, model in pipelines.items():
            with (
                warnings.catch_warnings()
            ):  # a few epochs leave MLPClassifier "not converged": expected
                warnings.simplefilter("ignore", ConvergenceWarning)
                fold = cross_validate(model, X, y, cv=[split], scoring=("accuracy", "roc_auc"))
            for key in ("test_accuracy", "test_roc_auc", "fit_time"):
                scores[name].setdefault(key, []).append(float(fold[key][0]))
    print(f"{'model':<20} {'accuracy':>17} {'ROC AUC':>17} {'fit time':>10}")
    for name, result in scores.items():
        accuracy, auc = np.array(result["test_accuracy"]), np.array(result["test_roc_auc"])
        print(
            f"{name:<20} {accuracy.mean():.4f} +- {accuracy.std():.4f} {auc.mean():.4f} +- {auc.std():.4f} "
            f"{sum(result['fit_time']):>9.2f}s"
        )
    ratios = np.array(scores["glassnet"]["fit_time"]) / np.array(
        scores["MLPClassifier"]["fit_time"]
    )
    total = sum(scores["glassnet"]["fit_time"]) / sum(scores["MLPClassifier"]["fit_time"])
    print(
        f"fit time glassnet / MLPClassifier: {total:.2f} (per fold: median {np.median(ratios):.2f}, "
        f"from {ratios.min():.2f} to {ratios.max():.2f})"
    )


if __name__ == "__main__":
    main()
