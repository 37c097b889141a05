"""The ``glassnet`` command line.

glassnet demo circles --out DIR [--epochs N] [--seed S] [--moons]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="glassnet", description="glassnet: a see-through deep learning framework."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="train the founding 2-5-2-1 network and write its plots"
    )
    demo.add_argument("dataset", choices=["circles", "moons"], help="the toy data set")
    demo.add_argument(
        "--out", default="out", help="folder for data.png, loss.png, decision_boundary.png, roc.png"
    )
    demo.add_argument(
        "--epochs", type=int, default=9000, help="full-batch epochs (default: 9000, as the blog)"
    )
    demo.add_argument(
        "--lr", type=float, default=0.05, help="learning rate (default: 0.05, as the blog)"
    )
    demo.add_argument(
        "--samples", type=int, default=5000, help="points to generate (default: 5000)"
    )
    demo.add_argument(
        "--noise", type=float, default=0.04, help="noise of the points (default: 0.04)"
    )
    demo.add_argument(
        "--seed", type=int, default=0, help="seed of the data and the weights (default: 0)"
    )
    demo.add_argument(
        "--moons", action="store_true", help="use the moons data set (same as 'demo moons')"
    )
    demo.add_argument("--verbose", action="store_true", help="print the loss every 50 epochs")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m glassnet``: run the command in ``argv`` (the process's arguments if None) and
    return its exit status."""
    args = _parser().parse_args(argv)
    from .demo import run_demo

    shape_type = "moons" if args.moons else args.dataset
    started = time.perf_counter()
    result = run_demo(
        args.out,
        shape_type=shape_type,
        samples=args.samples,
        noise=args.noise,
        epochs=args.epochs,
        learning_rate=args.lr,
        seed=args.seed,
        verbose=args.verbose,
    )
    elapsed = time.perf_counter() - started
    print(
        f"glassnet demo: {shape_type}, 2-5-2-1 network, {args.epochs} epochs, lr {args.lr}, seed {args.seed} "
        f"({elapsed:.1f} s)"
    )
    print(result.table())
    for path in result.plots:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
