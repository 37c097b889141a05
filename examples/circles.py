"""The seed blog's example, written the glassnet way: a 2-5-2-1 network on ``make_circles``.

    python examples/circles.py [--epochs 9000] [--seed 0] [--out out/example]

It writes ``data.png``, ``loss.png`` and ``decision_boundary.png`` into ``--out`` and prints the
ROC AUC twice: on the predicted probabilities, and on the predictions thresholded at 0.5 as the
blog did (that second number is the AUC of a single cut, i.e. the balanced accuracy).

What differs from the blog, and why:

* Samples first. Data is ``(n_samples, n_features)`` everywhere, as in scikit-learn, Keras and
  PyTorch: ``model.train(X, Y)`` and ``model.predict(X)`` take ``X`` of shape (5000, 2) directly,
  with no ``X.T`` going in and no ``.T`` on the predictions coming out.
* Bugs of the blog's framework that glassnet fixes (none of them needs a change to this script):

  - Mean squared error's gradient was ``2 * (predicted - real).mean()``: one scalar, so every
    sample got the same gradient. Its gradient is per element, ``2 * (predicted - real) / n``.
  - The bias gradient was averaged twice: the loss gradient already carries the ``1 / n`` of the
    mean, and ``dB = dA.mean(axis=1)`` divided by ``n`` again (while ``dW`` summed), so biases
    learned ``n`` times too slowly. glassnet sums the bias gradient over the batch, like ``dW``.
  - Binary cross-entropy took ``log`` of the sigmoid's output, which saturates to exactly 0 or 1:
    ``log(0)`` is ``-inf`` and ``nansum`` hid the NaNs. glassnet trains a final Sigmoid with
    binary cross-entropy fused on the logits, which is finite for any input.
  - ``generate_data`` compared strings with ``shape_type is 'moons'``, which tests identity, not
    equality: an equal string built at run time fell through to the error (and Python warns about
    ``is`` with a literal). glassnet's ``generate_data`` compares with ``==``.

* Repeatable runs: one ``--seed`` draws the data and the initial weights, so two runs print the
  same numbers (the blog averaged 10 unseeded runs). The initial weights come from glassnet's
  default initializer; the blog's ``U[0, 1)`` is ``Linear(..., init="blog_uniform")``.
* Plots are written to files with the Agg backend, so the script runs without a display.
"""

from __future__ import annotations

import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")  # before pyplot is imported: write files, never open a window

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from glassnet import Linear, Model, ReLU, Sigmoid  # noqa: E402
from glassnet.datasets import generate_data, plot_generated_data  # noqa: E402
from glassnet.metrics import accuracy_score, roc_auc_score  # noqa: E402
from glassnet.plotting import plot_decision_boundary  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="The seed blog's 2-5-2-1 network on circles, with glassnet."
    )
    parser.add_argument(
        "--epochs", type=int, default=9000, help="full-batch epochs (default: 9000, as the blog)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the data and the initial weights (default: 0)"
    )
    parser.add_argument(
        "--out", default=os.path.join("out", "example"), help="folder for the plots"
    )
    return parser.parse_args(argv)


def save(figure: plt.Figure, out: str, filename: str) -> None:
    path = os.path.join(out, filename)
    figure.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(figure)
    print(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    # The data, as in the blog: 5000 points on two noisy circles.
    data = generate_data(5000, "circles", 0.04, args.seed)
    figure, ax = plt.subplots(figsize=(16, 12))
    plot_generated_data(data, ax=ax)
    save(figure, args.out, "data.png")

    X = data[["x", "y"]].values  # (5000, 2): samples first, no .T
    Y = data["label"].values  # (5000,)

    # Create the model and add the layers exactly as the blog does.
    model = Model()
    model.add(Linear(2, 5))
    model.add(ReLU(5))
    model.add(Linear(5, 2))
    model.add(ReLU(2))
    model.add(Linear(2, 1))
    model.add(Sigmoid(1))

    # Train: full-batch gradient descent on binary cross-entropy, one loss per epoch.
    model.train(X, Y, learning_rate=0.05, epochs=args.epochs, verbose=True, seed=args.seed)

    figure = plt.figure(figsize=(17, 10))
    plt.plot(model.loss)
    plt.xlabel("epoch")
    plt.ylabel("binary cross-entropy")
    save(figure, args.out, "loss.png")

    figure, ax = plt.subplots(figsize=(8, 6))
    plot_decision_boundary(model, X, Y, ax=ax)
    save(figure, args.out, "decision_boundary.png")

    # The blog's metric thresholds the predictions first; the AUC of the probabilities is the usual one.
    probabilities = model.predict(X).reshape(-1)  # (5000, 1) -> (5000,)
    predictions = np.where(probabilities < 0.5, 0, 1)
    print(f"final loss: {model.loss[-1]:.4f}" if model.loss else "final loss: (no epochs)")
    print(f"accuracy: {accuracy_score(Y, predictions):.4f}")
    print(f"ROC AUC on probabilities: {roc_auc_score(Y, probabilities):.4f}")
    blog_auc = roc_auc_score(Y, predictions)
    print(f"ROC AUC on predictions thresholded at 0.5 (the blog's metric): {blog_auc:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
