"""Grid search the scikit-learn way: GridSearchCV over a glassnet MLP's size, learning rate and L2.

    python examples/grid_search.py [--epochs 30] [--out out] [--quick]

scikit-learn's handwritten digits (1797 8x8 images, pixels / 16), a stratified 75/25 split
(random_state=0). ``GridSearchCV`` (3 folds, ``n_jobs=2``: the estimators travel to two worker
processes and back, pickled with their glassnet models as ``.gnet`` bytes) tries every
combination of hidden layer size, learning rate and L2 ``alpha`` for a ``GlassnetClassifier``
(Adam, batch 32), refits the best on the whole training part and scores it on the test part.
Prints the best parameters, their cross-validated accuracy and the test accuracy, and writes a
heatmap of the grid's mean cross-validated accuracies to ``<out>/grid_search.png``.
``--quick`` trains for 2 epochs on 2 folds of 400 samples, to check that it runs.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split

from glassnet.sklearn import GlassnetClassifier

GRID = {"hidden_layer_sizes": [(32,), (128,)], "learning_rate": [1e-3, 1e-2], "alpha": [1e-4, 1e-1]}


def heatmap(search: GridSearchCV, path: str) -> None:
    """Mean CV accuracy: one row per (hidden sizes, alpha), one column per learning rate."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = search.cv_results_
    rows = [(h, a) for h in GRID["hidden_layer_sizes"] for a in GRID["alpha"]]
    columns = GRID["learning_rate"]
    table = np.zeros((len(rows), len(columns)))
    for params, score in zip(results["params"], results["mean_test_score"]):
        table[
            rows.index((params["hidden_layer_sizes"], params["alpha"])),
            columns.index(params["learning_rate"]),
        ] = score
    figure, axes = plt.subplots(figsize=(5, 4))
    image = axes.imshow(table, cmap="viridis")
    axes.set_xticks(range(len(columns)), [f"lr {lr:g}" for lr in columns])
    axes.set_yticks(range(len(rows)), [f"{h[0]} units, alpha {a:g}" for h, a in rows])
    for (i, j), score in np.ndenumerate(table):
        axes.text(
            j,
            i,
            f"{score:.3f}",
            ha="center",
            va="center",
            color="white" if score < table.mean() else "black",
        )
    axes.set_title("GridSearchCV: mean CV accuracy on digits")
    figure.colorbar(image)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--out", default="out")
    parser.add_argument(
        "--quick", action="store_true", help="2 epochs, 2 folds, 400 samples: checks that it runs"
    )
    args = parser.parse_args()
    epochs, folds = (2, 2) if args.quick else (args.epochs, 3)
    X, y = load_digits(return_X_y=True)
    if args.quick:
        X, y = X[:400], y[:400]
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16.0, y, test_size=0.25, stratify=y, random_state=0
    )
    search = GridSearchCV(
        GlassnetClassifier(epochs=epochs, batch_size=32, random_state=0), GRID, cv=folds, n_jobs=2
    )
    search.fit(X_train, y_train)
    print(
        f"{len(search.cv_results_['params'])} combinations x {folds} folds, {epochs} epochs each, n_jobs=2"
    )
    print(f"best parameters: {search.best_params_}")
    print(f"best mean CV accuracy: {search.best_score_:.4f}")
    print(f"test accuracy of the refitted best model: {search.score(X_test, y_test):.4f}")
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "grid_search.png")
    heatmap(search, path)
    print(f"heatmap: {path}")


if __name__ == "__main__":
    main()
