"""Exact resume after a real interruption: a training process killed with SIGKILL mid-epoch and mid-save."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

SCRIPT = textwrap.dedent("""
    import json, os, signal, sys, zipfile
    import numpy as np
    import glassnet as gn

    mode, checkpoint, out = sys.argv[1:4]
    gn.seed(0)  # the weights are drawn at build time below, before fit's seed applies
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 3))
    y = (x[:, 0] - x[:, 2] > 0).astype(float)
    model = gn.Model([gn.Dense(8, activation="relu"), gn.nn.Dropout(0.2), gn.Dense(8, activation="relu"),
                      gn.nn.Dropout(0.3, rng=5), gn.Dense(1, activation="sigmoid")])  # one dropout has its own rng
    optimizer = gn.optim.Adam(lr=0.01)
    model.compile(optimizer=optimizer, loss="binary_crossentropy")
    model.fit(x[:2], y[:2], epochs=0, verbose=0)  # builds the layers, so the schedule can bind
    optimizer.bind(list(model.parameters()))
    schedule = gn.optim.schedules.LinearWarmup(optimizer, 8, after=gn.optim.schedules.CosineAnnealingLR(optimizer, 20))
    now = {"epoch": 0, "saves": 0}
    callbacks = [gn.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: now.update(epoch=epoch)),
                 gn.callbacks.ModelCheckpoint(checkpoint),
                 gn.callbacks.LearningRateScheduler(schedule, per="batch"),
                 gn.callbacks.EarlyStopping(monitor="val_loss", patience=50)]
    if mode == "kill-mid-epoch":
        callbacks.append(gn.callbacks.LambdaCallback(on_batch_end=lambda batch, logs:
            os.kill(os.getpid(), signal.SIGKILL) if now["epoch"] == 3 and batch == 2 else None))
    if mode == "kill-mid-save":
        original = zipfile.ZipFile.writestr
        def writestr(self, name, data, *args, **kwargs):
            if name == "manifest.json":
                now["saves"] += 1
            if now["saves"] == 3 and name.startswith("arrays/"):
                self.fp.flush()
                os.kill(os.getpid(), signal.SIGKILL)  # half of the third checkpoint is on disk
            return original(self, name, data, *args, **kwargs)
        zipfile.ZipFile.writestr = writestr
    resume = checkpoint if mode == "resume" else None
    history = model.fit(x, y, epochs=6, batch_size=16, validation_split=0.25, verbose=0, seed=11,
                        callbacks=callbacks, resume_from=resume)
    np.savez(out + ".npz", **model.state_dict())
    with open(out + ".json", "w") as file:
        json.dump(history.history, file)
""")


def _run(tmp_path, mode: str, checkpoint: str, out: str) -> subprocess.CompletedProcess:
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    return subprocess.run(
        [sys.executable, str(script), mode, str(tmp_path / checkpoint), str(tmp_path / out)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _result(tmp_path, out: str):
    with np.load(tmp_path / f"{out}.npz") as weights:
        arrays = {name: weights[name] for name in weights.files}
    return arrays, json.loads((tmp_path / f"{out}.json").read_text())


@pytest.mark.parametrize("interruption", ["kill-mid-epoch", "kill-mid-save"])
def test_killed_training_resumes_bit_for_bit(interruption, tmp_path) -> None:
    done = _run(tmp_path, "full", "full.gnet", "full")
    assert done.returncode == 0, done.stderr
    killed = _run(tmp_path, interruption, "run.gnet", "unused")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not (tmp_path / "unused.npz").exists()
    resumed = _run(tmp_path, "resume", "run.gnet", "resumed")
    assert resumed.returncode == 0, resumed.stderr
    full_weights, full_history = _result(tmp_path, "full")
    resumed_weights, resumed_history = _result(tmp_path, "resumed")
    assert resumed_history == full_history
    for name, value in full_weights.items():
        np.testing.assert_array_equal(resumed_weights[name], value, err_msg=name)
