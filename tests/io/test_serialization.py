"""Model files: round trips, custom layers, and every hostile or damaged file refused with its message."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import ModelFileError
from glassnet.io.serialization import FORMAT_VERSION, read_model_file


def _trained_model() -> tuple[gn.Model, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    y = (x[:, 0] + x[:, 1] > 0).astype(float)
    model = gn.Model(
        [
            gn.Dense(6, activation="relu", kernel_regularizer="l2"),
            gn.nn.BatchNorm1d(6),
            gn.nn.Dropout(0.1),
            gn.Dense(1, activation="sigmoid"),
        ],
        name="tiny",
    )
    model.compile(
        optimizer=gn.optim.Adam(lr=0.01, amsgrad=True), loss="binary_crossentropy", clipnorm=1.0
    )
    model.fit(x, y, epochs=3, batch_size=8, verbose=0, seed=0)
    return model, x, y


def test_round_trip_keeps_predictions_compile_settings_and_optimizer_state(tmp_path) -> None:
    model, x, y = _trained_model()
    model.save(tmp_path / "model.gnet")
    loaded = gn.load_model(tmp_path / "model.gnet")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert loaded.name == "tiny" and loaded.clipping == (1.0, None, None)
    assert type(loaded.optimizer) is gn.optim.Adam and loaded.optimizer.defaults["amsgrad"]
    np.testing.assert_array_equal(loaded.layers[1].running_var, model.layers[1].running_var)
    continued = [
        m.fit(x, y, epochs=2, batch_size=8, verbose=0, seed=5).history["loss"]
        for m in (model, loaded)
    ]
    assert continued[0] == continued[1]


def test_blog_model_round_trip_and_without_optimizer(tmp_path) -> None:
    from glassnet.demo import build_founding_model

    model = build_founding_model()
    x = np.random.default_rng(1).normal(size=(10, 2))
    model.save(tmp_path / "blog.gnet", include_optimizer=False)
    np.testing.assert_array_equal(
        gn.load_model(tmp_path / "blog.gnet").predict(x), model.predict(x)
    )


def test_custom_layers_need_registration_or_custom_objects(tmp_path) -> None:
    class Scale(gn.Module):
        def __init__(self, factor: float = 2.0) -> None:
            super().__init__()
            self.factor = factor

        def forward(self, x):
            return x * self.factor

        def get_config(self):
            return {"factor": self.factor}

    model = gn.Model([gn.Linear(2, 2), Scale(3.0)])
    model.save(tmp_path / "custom.gnet")
    with pytest.raises(
        ModelFileError, match=r"unknown layer class 'Scale'.*custom_objects=\{'Scale'"
    ):
        gn.load_model(tmp_path / "custom.gnet")
    loaded = gn.load_model(tmp_path / "custom.gnet", custom_objects={"Scale": Scale})
    assert loaded.layers[1].factor == 3.0


def test_the_file_is_a_zip_of_json_and_npy_without_pickle(tmp_path) -> None:
    model, _, _ = _trained_model()
    model.save(tmp_path / "model.gnet")
    with zipfile.ZipFile(tmp_path / "model.gnet") as archive:
        names = archive.namelist()
        assert names[0] == "manifest.json" and all(n.endswith(".npy") for n in names[1:])
        manifest = json.loads(archive.read("manifest.json"))
    assert (
        manifest["format_version"] == FORMAT_VERSION
        and manifest["glassnet_version"] == gn.__version__
    )


# ----------------------------------------------------------------- hostile and damaged files
def _saved(tmp_path) -> tuple[dict, dict]:
    model, _, _ = _trained_model()
    model.save(tmp_path / "good.gnet")
    with zipfile.ZipFile(tmp_path / "good.gnet") as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    return json.loads(entries["manifest.json"]), entries


def _write(path, manifest: dict | None, entries: dict) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            if name == "manifest.json" and manifest is not None:
                data = json.dumps(manifest).encode()
            archive.writestr(name, data)


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def _first_weight(manifest):
    name = next(n for n in manifest["arrays"] if n.startswith("weights/"))
    return name, manifest["arrays"][name]


HOSTILE = {
    "truncated": (lambda m, e: (None, e), "truncate", "not a readable glassnet model file"),
    "not a zip": (None, "garbage", "not a readable glassnet model file"),
    "missing entry": (
        lambda m, e: (m, {k: v for k, v in e.items() if k != _first_weight(m)[1]["entry"]}),
        None,
        "missing",
    ),
    "extra entry": (lambda m, e: (m, {**e, "notes.txt": b"hi"}), None, "unexpected"),
    "path traversal": (
        lambda m, e: (m, {**e, "../evil.npy": b"x"}),
        None,
        "points outside the file",
    ),
    "unknown format version": (
        lambda m, e: ({**m, "format_version": 0}, e),
        None,
        "unknown format version",
    ),
    "newer glassnet": (
        lambda m, e: ({**m, "format_version": FORMAT_VERSION + 1, "glassnet_version": "9.0"}, e),
        None,
        "written by a newer glassnet",
    ),
    "foreign format": (
        lambda m, e: ({**m, "format": "keras"}, e),
        None,
        "not a glassnet model file",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE), ids=list(HOSTILE))
def test_hostile_files_are_refused_with_a_clear_error(case, tmp_path) -> None:
    change, special, message = HOSTILE[case]
    path = tmp_path / "bad.gnet"
    if special == "garbage":
        path.write_bytes(b"definitely not a zip file")
    else:
        manifest, entries = _saved(tmp_path)
        manifest, entries = change(manifest, entries)
        _write(path, manifest, entries)
        if special == "truncate":
            data = path.read_bytes()
            path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match=message):
        gn.load_model(path)


def test_unknown_layer_class_in_the_manifest(tmp_path) -> None:
    manifest, entries = _saved(tmp_path)
    manifest["model"]["layers"][0]["class"] = "os.system"
    _write(tmp_path / "bad.gnet", manifest, entries)
    with pytest.raises(ModelFileError, match="unknown layer class 'os.system'"):
        gn.load_model(tmp_path / "bad.gnet")


def test_object_array_holding_a_pickle_is_refused(tmp_path) -> None:
    manifest, entries = _saved(tmp_path)
    name, spec = _first_weight(manifest)
    entries[spec["entry"]] = _npy(np.array([{"evil": 1}] * 18, dtype=object))
    spec["dtype"] = "object"
    _write(tmp_path / "bad.gnet", manifest, entries)
    with pytest.raises(ModelFileError, match="model files hold numbers only"):
        gn.load_model(tmp_path / "bad.gnet")


def test_object_array_behind_a_numeric_declaration_is_refused(tmp_path) -> None:
    manifest, entries = _saved(tmp_path)
    name, spec = _first_weight(manifest)
    payload = _npy(np.array([{"evil": 1}], dtype=object))
    entries[spec["entry"]] = payload
    spec["shape"] = [max(1, (len(payload) - 200) // 4)]
    _write(tmp_path / "bad.gnet", manifest, entries)
    with pytest.raises(ModelFileError):
        gn.load_model(tmp_path / "bad.gnet")


def test_huge_declared_size_is_refused_before_allocating(tmp_path) -> None:
    manifest, entries = _saved(tmp_path)
    _, spec = _first_weight(manifest)
    spec["shape"] = [10**6, 10**6]
    _write(tmp_path / "bad.gnet", manifest, entries)
    with pytest.raises(
        ModelFileError, match=r"declares \[1000000, 1000000\] float32 .* but its entry holds"
    ):
        gn.load_model(tmp_path / "bad.gnet")


def test_array_with_the_wrong_shape_for_its_layer(tmp_path) -> None:
    manifest, entries = _saved(tmp_path)
    name, spec = _first_weight(manifest)
    wrong = np.zeros((7, 3), dtype=np.float32)
    entries[spec["entry"]] = _npy(wrong)
    spec["shape"] = [7, 3]
    _write(tmp_path / "bad.gnet", manifest, entries)
    with pytest.raises(
        ModelFileError, match=r"do not fit the architecture.*given \(7, 3\), model has \(6, 3\)"
    ):
        gn.load_model(tmp_path / "bad.gnet")


def test_manifest_that_lies_about_dtype(tmp_path) -> None:
    manifest, entries = _saved(tmp_path)
    _, spec = _first_weight(manifest)
    spec["dtype"] = "int32"
    _write(tmp_path / "bad.gnet", manifest, entries)
    with pytest.raises(ModelFileError, match="the manifest says int32"):
        read_model_file(tmp_path / "bad.gnet")


def test_interrupted_save_keeps_the_previous_file(tmp_path, monkeypatch) -> None:
    model, x, _ = _trained_model()
    path = tmp_path / "model.gnet"
    model.save(path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        model.save(path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["model.gnet"]


def test_model_bytes_round_trip_keeps_predictions_and_continues_training_identically() -> None:
    from glassnet.training.model import model_from_bytes
    from glassnet.training.saving import model_to_bytes

    model, x, y = _trained_model()
    data = model_to_bytes(model)
    assert (
        zipfile.ZipFile(io.BytesIO(data)).namelist()[0] == "manifest.json"
    )  # a .gnet file, in memory
    copy = model_from_bytes(data)
    np.testing.assert_array_equal(copy.predict(x), model.predict(x))
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, seed=1)
    copy.fit(x, y, epochs=2, batch_size=8, verbose=0, seed=1)
    np.testing.assert_array_equal(copy.predict(x), model.predict(x))  # optimizer state came along


def test_model_bytes_get_the_checks_of_a_file() -> None:
    from glassnet.training.model import model_from_bytes

    with pytest.raises(ModelFileError, match="<model bytes>: not a readable glassnet model file"):
        model_from_bytes(b"not a zip")
