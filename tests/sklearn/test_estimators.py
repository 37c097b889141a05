"""GlassnetClassifier and GlassnetRegressor as scikit-learn users use them: clone, pipelines,
cross-validation, grid search (also with n_jobs=2), labels of every kind, partial_fit,
warm_start, sample weights, pickling, and glassnet's own errors."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone
from sklearn.datasets import (
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import glassnet as gn
from glassnet.errors import NonFiniteLossError, ShapeError
from glassnet.sklearn import GlassnetClassifier, GlassnetRegressor

FAST = {"hidden_layer_sizes": (16,), "epochs": 20, "learning_rate": 0.01, "random_state": 0}


def build(
    n_features_in: int, n_outputs: int, units: int = 8, out: str | None = "sigmoid"
) -> gn.Model:
    """A model= callable (module level, so that it pickles for GridSearchCV(n_jobs=2))."""
    return gn.Model(
        [
            gn.Dense(units, activation="relu", in_features=n_features_in, dtype=np.float64),
            gn.Dense(n_outputs, activation=out, dtype=np.float64),
        ]
    )


@pytest.fixture(scope="module")
def binary() -> tuple[np.ndarray, np.ndarray]:
    return make_classification(
        n_samples=120, n_features=6, n_informative=4, class_sep=2.0, random_state=0
    )


def test_fit_returns_self_and_learns(binary) -> None:
    X, y = binary
    clf = GlassnetClassifier(**FAST)
    assert clf.fit(X, y) is clf
    assert clf.score(X, y) > 0.9
    assert clf.n_features_in_ == 6 and clf.n_iter_ == 20 and len(clf.loss_curve_) == 20
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert isinstance(clf.model_, gn.Model)
    assert clf.predict_proba(X).shape == (120, 2) and clf.decision_function(X).shape == (120,)
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(X), (clf.decision_function(X) > 0).astype(int))


def test_same_random_state_gives_the_same_bits(binary) -> None:
    X, y = binary
    first = GlassnetClassifier(**FAST).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(GlassnetClassifier(**FAST).fit(X, y).predict_proba(X), first)


@pytest.mark.parametrize(
    "labels", [np.array(["no", "yes"]), np.array([False, True]), np.array([-3, 7])]
)
def test_binary_labels_of_any_type_come_back(binary, labels) -> None:
    X, y = binary
    clf = GlassnetClassifier(**FAST).fit(X, labels[y])
    np.testing.assert_array_equal(clf.classes_, labels)
    assert set(clf.predict(X)) <= set(labels) and clf.predict(X).dtype == labels.dtype
    assert clf.score(X, labels[y]) > 0.9


def test_multiclass_uses_a_softmax_over_the_classes() -> None:
    X, y = make_classification(
        n_samples=150, n_features=6, n_informative=4, n_classes=3, class_sep=2.0, random_state=0
    )
    names = np.array(["a", "b", "c"])[y]
    clf = GlassnetClassifier(**FAST).fit(X, names)
    assert clf.model_.layers[-1].activation == "softmax" and clf.model_.layers[-1].units == 3
    assert clf.predict_proba(X).shape == (150, 3) and clf.decision_function(X).shape == (150, 3)
    assert clf.score(X, names) > 0.8


def test_multilabel_indicator_targets() -> None:
    X, Y = make_multilabel_classification(n_samples=100, n_features=8, n_classes=3, random_state=0)
    clf = GlassnetClassifier(**FAST).fit(X, Y)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.predict(X).shape == (100, 3) and clf.predict(X).dtype == Y.dtype
    assert clf.predict_proba(X).shape == (100, 3)
    assert (clf.predict(X) == Y).mean() > 0.7


def test_multiclass_multioutput_targets_are_refused(binary) -> None:
    X, y = binary
    with pytest.raises(ValueError, match="multiclass-multioutput targets are not supported"):
        GlassnetClassifier(**FAST).fit(X, np.column_stack([y, y * 2]))


def test_regressor_single_and_multi_output() -> None:
    X, y = make_regression(n_samples=100, n_features=5, n_targets=1, noise=0.1, random_state=0)
    reg = GlassnetRegressor(**FAST).fit(X, y / y.std())
    assert reg.predict(X).shape == (100,) and reg.score(X, y / y.std()) > 0.9
    X, Y = make_regression(n_samples=100, n_features=5, n_targets=3, noise=0.1, random_state=0)
    reg = GlassnetRegressor(**FAST).fit(X, Y / Y.std())
    assert reg.predict(X).shape == (100, 3) and reg.n_outputs_ == 3
    assert GlassnetRegressor(**FAST).fit(X, Y[:, :1]).predict(X).shape == (
        100,
        1,
    )  # 2-D y, 2-D predictions


def test_feature_names_from_a_dataframe(binary) -> None:
    pd = pytest.importorskip("pandas")
    X, y = binary
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    clf = GlassnetClassifier(**FAST).fit(frame, y)
    np.testing.assert_array_equal(clf.feature_names_in_, frame.columns)
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(frame.rename(columns={"f0": "other"}))


def test_sparse_input_is_refused_with_scikit_learns_message(binary) -> None:
    sparse = pytest.importorskip("scipy.sparse")
    X, y = binary
    with pytest.raises(TypeError, match="dense data is required"):
        GlassnetClassifier(**FAST).fit(sparse.csr_matrix(X), y)


def test_zero_sample_weight_equals_leaving_the_sample_out(binary) -> None:
    X, y = binary
    X, y = X[:30], y[:30]  # one full batch, so that both fits take the same steps
    weights = np.ones(30)
    weights[:5] = 0.0
    weighted = GlassnetClassifier(**FAST).fit(X, y, sample_weight=weights)
    dropped = GlassnetClassifier(**FAST).fit(X[5:], y[5:])
    np.testing.assert_allclose(weighted.predict_proba(X), dropped.predict_proba(X), rtol=1e-7)
    # Without the L2 penalty (scaled by the weighted sample count), only relative weights matter.
    doubled = GlassnetClassifier(alpha=0.0, **FAST).fit(
        X[5:], y[5:], sample_weight=np.full(25, 2.0)
    )
    single = GlassnetClassifier(alpha=0.0, **FAST).fit(X[5:], y[5:])
    np.testing.assert_allclose(doubled.predict_proba(X), single.predict_proba(X), rtol=1e-7)


def test_clone_get_params_and_model_arguments(binary) -> None:
    X, y = binary
    clf = GlassnetClassifier(model=build, model__units=4, epochs=3, random_state=0)
    assert clf.get_params()["model__units"] == 4
    clf.set_params(model__units=5, epochs=4)
    twin = clone(clf)
    assert twin.get_params() == clf.get_params() and not hasattr(twin, "model_")
    twin.fit(X, y)
    assert twin.model_.layers[0].units == 5 and twin.n_iter_ == 4


def test_pipeline_and_cross_val_score(binary) -> None:
    X, y = binary
    scores = cross_val_score(
        make_pipeline(StandardScaler(), GlassnetClassifier(**FAST)), X, y, cv=3
    )
    assert scores.shape == (3,) and scores.mean() > 0.8


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_grid_search_tunes_the_architecture(binary, n_jobs) -> None:
    X, y = binary
    search = GridSearchCV(
        GlassnetClassifier(model=build, epochs=5, learning_rate=0.01, random_state=0),
        {"model__units": [2, 8], "learning_rate": [0.01, 0.03]},
        cv=2,
        n_jobs=n_jobs,
    )
    search.fit(X, y)
    assert set(search.best_params_) == {"model__units", "learning_rate"}
    assert search.best_estimator_.model_.layers[0].units == search.best_params_["model__units"]
    assert search.cv_results_["mean_test_score"].shape == (4,)


def test_pickle_keeps_the_model_as_gnet_bytes_and_the_same_bits(binary) -> None:
    X, y = binary
    clf = GlassnetClassifier(warm_start=True, **FAST).fit(X, y)
    state = clf.__getstate__()
    assert (
        type(state["model_"]).__name__ == "_ModelBytes" and state["model_"].data[:2] == b"PK"
    )  # a .gnet zip
    copy = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(copy.predict_proba(X), clf.predict_proba(X))
    # The optimizer state and the shuffling generator came along: training on continues identically.
    np.testing.assert_array_equal(copy.fit(X, y).predict_proba(X), clf.fit(X, y).predict_proba(X))


def test_warm_start_and_partial_fit_continue_training(binary) -> None:
    X, y = binary
    clf = GlassnetClassifier(warm_start=True, **FAST).fit(X, y)
    model = clf.model_
    clf.fit(X, y)
    assert clf.n_iter_ == 40 and len(clf.loss_curve_) == 40 and clf.model_ is not model
    assert clf.model_._steps_taken == 2 * model._steps_taken
    stepwise = GlassnetClassifier(**FAST)
    with pytest.raises(ValueError, match="classes must be passed on the first call to partial_fit"):
        stepwise.partial_fit(X, y)
    stepwise.partial_fit(X[:60], np.array(["x", "y"])[y[:60]], classes=["x", "y"])
    stepwise.partial_fit(X[60:], np.array(["x", "y"])[y[60:]])
    assert stepwise.n_iter_ == 2 and list(stepwise.classes_) == ["x", "y"]
    with pytest.raises(ValueError, match=r"labels \['z'\] outside classes_"):
        stepwise.partial_fit(X[:3], ["x", "y", "z"])
    streamed = GlassnetClassifier(**FAST).partial_fit(
        X[y == 0][:10], y[y == 0][:10], classes=[0, 1]
    )
    assert list(streamed.classes_) == [0, 1]  # a first batch may hold one of the classes
    with pytest.raises(
        ValueError, match="needs at least 2 classes to train, but only 1 class is present"
    ):
        GlassnetClassifier(**FAST).fit(X[y == 0], y[y == 0])


def test_a_model_callable_must_return_a_model(binary) -> None:
    X, y = binary
    with pytest.raises(
        TypeError, match="model= must return a glassnet Model, but .*returned Sequential"
    ):
        GlassnetClassifier(
            model=lambda n_in, n_out: gn.nn.Sequential(gn.nn.Linear(n_in, n_out))
        ).fit(X, y)


def test_a_model_whose_outputs_do_not_fit_the_labels_is_refused(binary) -> None:
    X, y = binary
    with pytest.raises(
        ShapeError, match=r"the model has 3 outputs, but y needs 1 output \(a sigmoid\)"
    ):
        GlassnetClassifier(model=lambda n_in, n_out: build(n_in, 3)).fit(X, y)
    with pytest.raises(ShapeError, match="the model has 1 outputs, but y has 3 target"):
        GlassnetRegressor(model=lambda n_in, n_out: build(n_in, 1, out=None)).fit(
            X, np.column_stack([y, y, y])
        )


def test_a_model_that_outputs_logits_or_a_softmax_over_two_classes(binary) -> None:
    X, y = binary
    logits = GlassnetClassifier(
        model=build, model__out=None, epochs=20, learning_rate=0.01, random_state=0
    ).fit(X, y)
    assert logits.model_.compiled_loss.from_logits and logits.score(X, y) > 0.85
    np.testing.assert_allclose(
        logits.predict_proba(X)[:, 1], 1 / (1 + np.exp(-logits.decision_function(X)))
    )
    with pytest.raises(ShapeError, match="the model has 2 outputs"):
        GlassnetClassifier(model=lambda n_in, n_out: build(n_in, 2, out="softmax")).fit(X, y)


def test_unknown_arguments_are_reported_by_fit(binary) -> None:
    X, y = binary
    with pytest.raises(TypeError, match=r"unexpected argument\(s\) \['hiden_layer_sizes'\]"):
        GlassnetClassifier(hiden_layer_sizes=(3,)).fit(X, y)
    with pytest.raises(ValueError, match="arguments for a model= callable, but model is None"):
        GlassnetClassifier(model__units=3).fit(X, y)


def test_a_failed_fit_changes_nothing_fitted(binary, monkeypatch) -> None:
    X, y = binary
    clf = GlassnetClassifier(warm_start=True, **FAST).fit(X, y)
    before = clf.predict_proba(X)
    fitted = {name: value for name, value in vars(clf).items() if name.endswith("_")}
    train = gn.Model.fit

    def fail_after_one_epoch(model, *args, **kwargs):
        train(model, *args, **{**kwargs, "epochs": 1})
        raise NonFiniteLossError("stopped in the middle of training")

    with monkeypatch.context() as patch:
        patch.setattr(gn.Model, "fit", fail_after_one_epoch)
        with pytest.raises(NonFiniteLossError):
            clf.fit(X, y)  # warm start: the weights changed during the failed fit, but on a copy
    with pytest.raises(ValueError, match="X has 5 features, but GlassnetClassifier is expecting 6"):
        clf.fit(X[:, :5], y)
    np.testing.assert_array_equal(clf.predict_proba(X), before)
    assert {
        name: value for name, value in vars(clf).items() if name.endswith("_")
    }.keys() == fitted.keys()
    assert clf.model_ is fitted["model_"]
    # A fit from scratch that fails after scikit-learn's checks have read the new X keeps the old
    # n_features_in_ (and the rest) too.
    clf.set_params(warm_start=False)
    with pytest.raises(ValueError, match="Unknown label type"):
        clf.fit(X[:, :5], np.linspace(0, 1, len(y)))
    assert clf.n_features_in_ == 6 and clf.model_ is fitted["model_"]
    np.testing.assert_array_equal(clf.predict_proba(X), before)


def test_early_stopping_stops_and_keeps_the_best_weights(binary) -> None:
    X, y = binary
    clf = GlassnetClassifier(
        early_stopping=True,
        validation_split=0.25,
        patience=2,
        epochs=200,
        hidden_layer_sizes=(16,),
        learning_rate=0.05,
        random_state=0,
    ).fit(X, y)
    assert clf.n_iter_ < 200 and "val_loss" in clf.history_


def test_without_a_recent_scikit_learn_the_import_says_what_to_install() -> None:
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['sklearn.utils.validation'] = None\n"
        "try:\n    import glassnet.sklearn\nexcept ImportError as error:\n    print(error)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert (
        "glassnet.sklearn needs scikit-learn 1.6 or newer: pip install 'glassnet[data]'"
        in done.stdout
    ), done.stderr


@pytest.mark.parametrize("arguments", [{"batch_size": 0}, {"epochs": 2.5}, {"batch_size": True}])
def test_loop_arguments_are_checked_before_any_fitting(arguments) -> None:
    X = np.random.default_rng(0).normal(size=(20, 3))
    y = (X[:, 0] > 0).astype(int)
    with pytest.raises(ValueError, match="must be"):
        GlassnetClassifier(**arguments).fit(X, y)


def test_warm_start_refuses_a_changed_architecture_and_keeps_the_fitted_model() -> None:
    X = np.random.default_rng(0).normal(size=(30, 3))
    y = (X[:, 0] > 0).astype(int)
    clf = GlassnetClassifier(
        hidden_layer_sizes=(8,), epochs=2, warm_start=True, random_state=0
    ).fit(X, y)
    before = clf.predict_proba(X)
    clf.set_params(hidden_layer_sizes=(16, 4))
    with pytest.raises(ValueError, match="hidden_layer_sizes changed since the last fit"):
        clf.fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), before)
    clf.set_params(hidden_layer_sizes=(8,)).fit(X, y)  # the same architecture trains on
