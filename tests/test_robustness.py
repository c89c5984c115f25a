"""Awkward but legal inputs: every batch size trains, a blown-up fit stops, errors say the fix."""

import functools
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback, EarlyStopping

from skinvariant import (
    AdversarialClassifier,
    AffinityClassifier,
    AffinityTransformer,
    HSICClassifier,
    IIDMClassifier,
    MINEDebiasedClassifier,
)
from skinvariant.core import BatchStandardize, InvariantNet
from skinvariant.core._runtime import THREAD_ENVIRONMENT_VARIABLES
from skinvariant.datasets import make_attribute_blobs
from skinvariant.exceptions import DivergenceError, NoInvarianceWarning

# most fits here are one short epoch, which learns little by design
pytestmark = pytest.mark.filterwarnings("ignore:Training accuracy at the end of training")

CLASSIFIERS = [
    IIDMClassifier,
    AdversarialClassifier,
    MINEDebiasedClassifier,
    AffinityClassifier,
    HSICClassifier,
]


def test_batch_standardization_has_finite_gradients_at_zero_spread():
    for z in (torch.randn(1, 3, requires_grad=True), torch.ones(5, 3, requires_grad=True)):
        BatchStandardize()(z).sum().backward()
        assert torch.isfinite(z.grad).all()


@pytest.mark.parametrize("Estimator", CLASSIFIERS)
@pytest.mark.parametrize(
    "options", [{"max_epochs": 1}, {"max_epochs": 3}, {"max_epochs": 1, "batch_size": 1}]
)
def test_a_final_batch_of_one_row_trains(Estimator, options):
    # 257 = 2 * 128 + 1 = 256 + 1: a final batch of one row at batch 128 (HSIC's 256)
    X, y, s = make_attribute_blobs(n_samples=257, random_state=0)
    model = Estimator(random_state=0, **options).fit(X, y, sensitive=s)
    assert np.isfinite(model.predict_proba(X)).all()
    assert np.isfinite(model.transform(X)).all()
    n_steps = options["max_epochs"] * -(-257 // options.get("batch_size", model.batch_size))
    # six steps need not learn (the affinity loss at lam=0.1 after three: 0.54; HSIC after six: 0.64)
    if n_steps > 6:
        assert model.score(X, y) > 0.7


@pytest.mark.parametrize("Estimator", [IIDMClassifier, AdversarialClassifier])
def test_a_constant_X_trains_to_finite_weights(Estimator):
    _, y, s = make_attribute_blobs(n_samples=200, random_state=0)
    with pytest.warns(UserWarning, match="majority class"):
        model = Estimator(random_state=0, max_epochs=2).fit(np.ones((200, 4)), y, sensitive=s)
    assert np.isfinite(model.predict_proba(np.ones((3, 4)))).all()


def test_cross_validation_with_a_fold_ending_in_one_row_scores_no_nan():
    X, y, s = make_attribute_blobs(n_samples=1601, random_state=0)  # folds of 1280/1281 rows
    scores = cross_validate(
        IIDMClassifier(max_epochs=2, random_state=0), X, y, cv=5, params={"sensitive": s}
    )["test_score"]
    assert np.isfinite(scores).all() and scores.min() > 0.7


def test_non_finite_weights_stop_the_fit(monkeypatch):
    X, y, s = make_attribute_blobs(n_samples=200, random_state=0)
    model = IIDMClassifier(max_epochs=1, batch_size=len(X), random_state=0)
    train_step = InvariantNet.train_step

    def step_then_poison_weights(self, *args, **kwargs):
        step = train_step(self, *args, **kwargs)
        with torch.no_grad():  # the loss of this step stays finite
            self.module_.head.weight.fill_(float("nan"))
        return step

    monkeypatch.setattr(InvariantNet, "train_step", step_then_poison_weights)
    with pytest.raises(DivergenceError, match="weights became NaN"):
        model.fit(X, y, sensitive=s)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)


@pytest.mark.parametrize("Estimator", CLASSIFIERS)
def test_a_fit_that_blows_up_without_nan_stops_naming_the_term(Estimator):
    X, y, s = make_attribute_blobs(n_samples=1000, random_state=0)
    with pytest.raises(DivergenceError, match=r"epoch 1: task_loss grew from .*representation"):
        Estimator(lr=10, max_epochs=5, random_state=0).fit(X, y, sensitive=s)


def test_a_penalty_that_collapses_the_model_warns_naming_lam():
    # y is determined by s here, so a representation that invariant cannot predict it
    X, y, s = make_attribute_blobs(n_samples=1000, n_groups=2, leakage=1.0, random_state=0)
    with pytest.warns(UserWarning, match=r"majority class .*lam=1e\+06") as record:
        model = HSICClassifier(lam=1e6, max_epochs=3, random_state=0).fit(X, y, sensitive=s)
    assert model.score(X, y) < 0.55
    assert all(warning.filename == __file__ for warning in record)


def test_a_healthy_fit_does_not_warn_of_a_collapse():
    X, y, s = make_attribute_blobs(n_samples=1000, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        IIDMClassifier(max_epochs=3, random_state=0).fit(X, y, sensitive=s)


def test_fit_without_y_says_y_is_required():
    X, _, s = make_attribute_blobs(n_samples=100, random_state=0)
    for model in (AffinityTransformer(max_epochs=1), IIDMClassifier(max_epochs=1)):
        assert get_tags(model).target_tags.required  # as scikit-learn's checks read it
        with pytest.raises(ValueError, match=r"requires y to be passed"):
            model.fit(X, None, sensitive=s)


def test_columns_named_twice_are_refused_naming_them():
    X, y, s = make_attribute_blobs(n_samples=200, random_state=0)
    frame = pd.DataFrame(X[:, :3], columns=["a", "a", "b"])
    with pytest.raises(ValueError, match=r"X has columns named more than once: \['a'\]"):
        IIDMClassifier(max_epochs=1).fit(frame, y, sensitive=s)
    twice = pd.DataFrame({"g": s, "h": s}).rename(columns={"h": "g"})
    with pytest.raises(ValueError, match=r"sensitive has columns named more than once"):
        IIDMClassifier(max_epochs=1).fit(X, y, sensitive=twice)


@pytest.mark.parametrize("Estimator", [HSICClassifier, IIDMClassifier])
def test_an_infinite_sensitive_value_is_refused_naming_sensitive(Estimator):
    X, y, s = make_attribute_blobs(n_samples=200, random_state=0)
    age = s + np.random.RandomState(0).rand(200)
    age[0] = np.inf
    with pytest.raises(ValueError, match="sensitive holds infinite values"):
        Estimator(max_epochs=1).fit(X, y, sensitive=age)


@pytest.mark.parametrize("Estimator", [HSICClassifier, IIDMClassifier])
def test_a_categorical_of_floats_is_group_labels(Estimator):
    X, y, s = make_attribute_blobs(n_samples=200, random_state=0)
    groups = pd.Series(pd.Categorical(np.where(s == 1, 0.5, 1.5)))
    model = Estimator(max_epochs=1, random_state=0).fit(X, y, sensitive=groups)
    assert sorted(model.sensitive_groups_) == [0.5, 1.5]


def test_a_class_too_rare_for_the_validation_split_names_validation_fraction():
    X, y, s = make_attribute_blobs(n_samples=200, random_state=0)
    y = np.where(np.arange(200) == 0, 5, y)  # class 5 has one row
    with pytest.raises(ValueError, match=r"validation_fraction=0.1 cannot hold out.*5: 1"):
        IIDMClassifier(max_epochs=1, validation_fraction=0.1).fit(X, y, sensitive=s)


@pytest.mark.parametrize(
    "sizes, expected", [(64, 64), ((np.int64(8), 4), 4), ([], 4)]
)  # [] maps the 4 inputs straight to z
def test_layer_sizes_accept_an_int_as_scikit_learns_mlp_does(sizes, expected):
    X, y, s = make_attribute_blobs(n_samples=100, random_state=0)
    model = IIDMClassifier(
        hidden_layer_sizes=sizes, adversary_hidden_layer_sizes=16, max_epochs=1
    ).fit(X, y, sensitive=s)
    assert model.net_.module_.encoder[-1].in_features == expected


@pytest.mark.parametrize(
    "options, message",
    [
        ({"hidden_layer_sizes": (True,)}, r"hidden_layer_sizes must be a positive int"),
        ({"adversary_hidden_layer_sizes": (0,)}, r"adversary_hidden_layer_sizes must be"),
        ({"optimizer": int}, r"optimizer=<class 'int'> is not a torch optimizer"),
        ({"optimizer": torch.optim.LBFGS}, r"optimizer=LBFGS needs a closure"),
        ({"device": "mps"}, r"device='mps' is not available"),
        (
            {"callbacks": [EarlyStopping()]},
            r"EarlyStopping monitors 'valid_loss'.*validation_fraction",
        ),
    ],
)
def test_bad_options_raise_a_value_error_naming_the_option(options, message):
    X, y, s = make_attribute_blobs(n_samples=100, random_state=0)
    if options.get("device") == "mps" and torch.backends.mps.is_available():
        pytest.skip("this machine has an MPS device")
    with pytest.raises(ValueError, match=message):
        IIDMClassifier(max_epochs=1, **options).fit(X, y, sensitive=s)


def test_an_optimizer_partial_carries_its_options():
    X, y, s = make_attribute_blobs(n_samples=100, random_state=0)
    optimizer = functools.partial(torch.optim.Adam, weight_decay=0.5, betas=(0.8, 0.9))
    model = AdversarialClassifier(optimizer=optimizer, lr=0.01, max_epochs=1).fit(X, y, sensitive=s)
    group = model.net_.optimizer_.param_groups[0]
    assert (group["weight_decay"], group["betas"], group["lr"]) == (0.5, (0.8, 0.9), 0.01)


def test_early_stopping_on_the_training_loss_needs_no_validation_split():
    X, y, s = make_attribute_blobs(n_samples=100, random_state=0)
    stopping = EarlyStopping(monitor="train_loss", patience=1, threshold=10.0)
    model = IIDMClassifier(max_epochs=10, callbacks=[stopping]).fit(X, y, sensitive=s)
    assert len(model.history_) < 10


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda model, X, y, s: model.fit(X, y, s),
            r"IIDMClassifier.fit\(\): too many positional.*sensitive=s",
        ),
        (
            lambda model, X, y, s: model.fit(X, y, sensitve=s),
            r"IIDMClassifier.fit\(\): .*'sensitve'",
        ),
        (
            lambda model, X, y, s: model.predict(X, sensitive=s),
            r"IIDMClassifier.predict\(\): .*only used by fit",
        ),
        (
            lambda model, X, y, s: model.transform(X, sensitive=s),
            r"IIDMClassifier.transform\(\): .*only used by fit",
        ),
    ],
)
def test_type_errors_name_the_users_class_and_the_fix(call, message):
    X, y, s = make_attribute_blobs(n_samples=100, random_state=0)
    model = IIDMClassifier(max_epochs=1).fit(X, y, sensitive=s)
    with pytest.raises(TypeError, match=message):
        call(model, X, y, s)


def test_no_invariance_warning_points_at_the_users_line():
    X, y, _ = make_attribute_blobs(n_samples=100, random_state=0)
    pipeline = make_pipeline(StandardScaler(), IIDMClassifier(max_epochs=1))
    with pytest.warns(NoInvarianceWarning) as record:
        pipeline.fit(X, y)
        IIDMClassifier(max_epochs=1).fit(X, y)
    assert [warning.filename for warning in record] == [__file__] * 2


def test_integer_ages_of_many_rare_values_point_to_a_continuous_attribute():
    X, y, _ = make_attribute_blobs(n_samples=300, random_state=0)
    age = np.random.RandomState(0).randint(18, 90, len(X))
    with pytest.raises(ValueError, match=r"fewer than 2 samples.*sensitive_type='continuous'"):
        MINEDebiasedClassifier(max_epochs=1).fit(X, y, sensitive=age)
    with pytest.raises(ValueError, match=r"fewer than 2 samples.*MINEDebiasedClassifier"):
        IIDMClassifier(max_epochs=1).fit(X, y, sensitive=age)


@pytest.mark.parametrize("as_frame", [True, False])
def test_a_float_and_string_sensitive_is_told_to_bin_not_to_switch_estimator(as_frame):
    X, y, s = make_attribute_blobs(n_samples=300, random_state=0)
    mixed = pd.DataFrame(
        {"income": np.random.RandomState(0).rand(len(X)), "sex": np.where(s > 0, "a", "b")}
    )
    mixed = mixed if as_frame else mixed.to_numpy()
    with pytest.raises(ValueError, match=r"looks continuous.*Bin it first \(e.g. pd.cut\)\.$"):
        IIDMClassifier(max_epochs=1).fit(X, y, sensitive=mixed)
    with pytest.raises(ValueError, match=r"mixes numeric columns.*bin the numeric columns"):
        MINEDebiasedClassifier(max_epochs=1).fit(X, y, sensitive=mixed)


class RecordTrainingThreads(Callback):
    def on_train_begin(self, net, **kwargs):
        net.training_threads_ = torch.get_num_threads()


@pytest.mark.parametrize("user_threads, expected", [(None, 1), (3, 3)])
def test_training_uses_one_thread_unless_the_user_chose_a_count(
    monkeypatch, user_threads, expected
):
    X, y, s = make_attribute_blobs(n_samples=100, random_state=0)
    threads = torch.get_num_threads()
    for name in THREAD_ENVIRONMENT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("skinvariant.core._runtime.TORCH_THREADS_AT_IMPORT", 2)
    torch.set_num_threads(user_threads or 2)
    try:
        model = IIDMClassifier(max_epochs=1, device="cpu", callbacks=[RecordTrainingThreads()])
        assert model.fit(X, y, sensitive=s).net_.training_threads_ == expected
        assert torch.get_num_threads() == (user_threads or 2)  # restored after fit
    finally:
        torch.set_num_threads(threads)
