"""Kill soak: training processes killed with SIGKILL from outside at random moments, then resumed.

Each round starts ``fit`` with a ``ModelCheckpoint`` in a fresh process, kills it after a random
delay drawn over the length of a whole run (so kills land during start-up, training and saving),
checks that the checkpoint on disk (if any) loads, resumes from it (or starts over when none was
written) and compares the final weights and history with an uninterrupted run: they must be
equal bit for bit. The default run does 3 rounds; ``-m slow`` does 100 for docs/reliability.md
(``GLASSNET_FIGURES=path.jsonl`` appends the figures to that file).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import glassnet as gn

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import glassnet as gn

    mode, checkpoint, out, epochs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    gn.seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1024, 4))
    y = (x[:, 0] * x[:, 1] - x[:, 2] > 0).astype(float)
    model = gn.Model([gn.Dense(16, activation="relu"), gn.Dropout(0.2), gn.Dense(16, activation="tanh"),
                      gn.Dense(1, activation="sigmoid")])
    model.compile(optimizer=gn.optim.Adam(lr=0.005), loss="binary_crossentropy")
    resume = checkpoint if mode == "resume" else None
    history = model.fit(x, y, epochs=epochs, batch_size=16, validation_split=0.2, verbose=0, seed=5,
                        callbacks=[gn.callbacks.ModelCheckpoint(checkpoint)], resume_from=resume)
    np.savez(out + ".npz", **model.state_dict())
    with open(out + ".json", "w") as file:
        json.dump(history.history, file)
""")


def _start(folder: str, mode: str, checkpoint: str, out: str) -> subprocess.Popen:
    with open(os.path.join(folder, "epochs")) as file:
        epochs = file.read()
    return subprocess.Popen(
        [
            sys.executable,
            os.path.join(folder, "train.py"),
            mode,
            checkpoint,
            os.path.join(folder, out),
            epochs,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _result(folder: str, out: str) -> tuple[dict[str, np.ndarray], dict]:
    with np.load(os.path.join(folder, out + ".npz")) as weights:
        arrays = {name: weights[name] for name in weights.files}
    with open(os.path.join(folder, out + ".json")) as file:
        return arrays, json.load(file)


def _soak(folder: str, rounds: int, seed: int, epochs: int) -> dict[str, int]:
    with open(os.path.join(folder, "train.py"), "w") as file:
        file.write(SCRIPT)
    with open(os.path.join(folder, "epochs"), "w") as file:
        file.write(str(epochs))
    began = time.perf_counter()
    full = _start(folder, "run", os.path.join(folder, "full.gnet"), "full")
    _, stderr = full.communicate(timeout=300)
    assert full.returncode == 0, stderr.decode()
    length = time.perf_counter() - began
    expected_weights, expected_history = _result(folder, "full")
    rng = np.random.default_rng(seed)
    tally = {
        "epochs": epochs,
        "rounds": 0,
        "killed": 0,
        "finished before the kill": 0,
        "checkpoints loaded": 0,
        "resumed from a checkpoint": 0,
        "started over (no checkpoint yet)": 0,
        "equal bit for bit": 0,
    }
    for round_ in range(rounds):
        checkpoint = os.path.join(folder, f"run{round_}.gnet")
        process = _start(folder, "run", checkpoint, f"unused{round_}")
        try:
            process.wait(timeout=rng.uniform(0.0, length))
            tally["finished before the kill"] += 1
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
            tally["killed"] += 1
        process.communicate()
        if os.path.exists(checkpoint):
            gn.load_model(checkpoint)  # every checkpoint on disk is whole: this raises otherwise
            tally["checkpoints loaded"] += 1
            tally["resumed from a checkpoint"] += 1
            mode = "resume"
        else:
            tally["started over (no checkpoint yet)"] += 1
            mode = "run"
        resumed = _start(folder, mode, checkpoint, f"resumed{round_}")
        _, stderr = resumed.communicate(timeout=300)
        assert resumed.returncode == 0, stderr.decode()
        weights, history = _result(folder, f"resumed{round_}")
        assert history == expected_history, f"round {round_}"
        for name, value in expected_weights.items():
            np.testing.assert_array_equal(weights[name], value, err_msg=f"round {round_}: {name}")
        tally["equal bit for bit"] += 1
        tally["rounds"] += 1
        leftovers = [name for name in os.listdir(folder) if name.endswith(".tmp")]
        for (
            name
        ) in leftovers:  # a kill during a save leaves its temporary file; the checkpoint is intact
            os.remove(os.path.join(folder, name))
    return tally


def test_three_kills_resume_bit_for_bit(tmp_path) -> None:
    tally = _soak(str(tmp_path), 3, seed=0, epochs=6)
    assert tally["equal bit for bit"] == 3


@pytest.mark.slow
def test_hundred_kills_resume_bit_for_bit(tmp_path) -> None:
    tally = _soak(str(tmp_path), 100, seed=1, epochs=20)
    target = os.environ.get("GLASSNET_FIGURES")
    if target:
        with open(target, "a", encoding="utf-8") as file:
            file.write(json.dumps({"test": "kill soak", **tally}) + "\n")
    assert tally["equal bit for bit"] == 100 and tally["killed"] >= 50, tally
