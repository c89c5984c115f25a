"""The affinity loss, its estimators, the frozen encoder and re-attaching the attribute."""

import pickle

import numpy as np
import pytest
import sklearn
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from skinvariant import AffinityClassifier, AffinityTransformer, NoInvarianceWarning
from skinvariant.affinity import AffinityObjective
from skinvariant.core import Step
from skinvariant.core._engine import BatchIterator, Cells, TensorData
from skinvariant.datasets import make_inverted_digits, make_rotated_digits
from skinvariant.metrics import (
    equality_gap,
    parity_gap,
    reattach_sensitive,
    sensitive_leakage,
)

from .conftest import make_leaky_data

# -- the objective -----------------------------------------------------------


def test_each_sample_is_pulled_to_its_nearest_partner_of_its_class_in_another_group():
    z = torch.tensor(
        [[0.0, 0.0], [1.0, 1.0], [0.5, 0.0], [3.0, 0.0], [9.0, 9.0]], requires_grad=True
    )
    s = torch.tensor([0, 0, 1, 1, 1])
    y = torch.tensor([0, 0, 0, 0, 1])  # the last sample has no partner of its class
    affinity, unpaired_fraction = AffinityObjective(n_groups=2, n_classes=2)._affinity(z, s, y)
    # group 0: 0.5 (to [0.5, 0]) and 1.5 (to [0.5, 0]); group 1: 0.5 and 3.0 (to [0, 0])
    expected = np.mean([np.mean([0.5, 1.5]), np.mean([0.5, 3.0])]) / 2
    assert affinity.item() == pytest.approx(expected)
    assert float(unpaired_fraction) == pytest.approx(1 / 5)
    affinity.backward()
    assert z.grad[4].abs().sum() == 0  # the unpaired sample is skipped
    assert z.grad[0].abs().sum() > 0 and z.grad[2].abs().sum() > 0  # both ends of a pair move


def test_without_same_class_a_partner_may_have_another_class():
    z = torch.tensor([[0.0], [5.0], [1.0]])
    s = torch.tensor([0, 1, 1])
    y = torch.tensor([0, 0, 1])
    strict, _ = AffinityObjective(2, 2)._affinity(z, s, y)
    loose, _ = AffinityObjective(2, 2, same_class=False)._affinity(z, s, y)
    assert float(strict) == pytest.approx(np.mean([5.0, 5.0]) / 2)  # sample 2 unpaired
    assert float(loose) == pytest.approx(np.mean([1.0, np.mean([5.0, 1.0])]) / 2)


def test_three_groups_average_each_group_over_all_other_groups():
    z = torch.tensor([[0.0], [1.0], [3.0]])
    s = torch.tensor([0, 1, 2])
    y = torch.zeros(3, dtype=torch.long)
    affinity, _ = AffinityObjective(3, 1)._affinity(z, s, y)
    assert float(affinity) == pytest.approx(np.mean([1.0, 1.0, 2.0]))


def test_the_penalty_is_the_affinity_of_the_batch_standardised_z_so_shrinking_z_cannot_lower_it():
    torch.manual_seed(0)
    z = torch.randn(40, 3)
    s, y = torch.randint(0, 2, (40,)), torch.randint(0, 2, (40,))
    objective = AffinityObjective(2, 2)
    step = Step(z, y, s, {"z": z})
    penalty = objective.penalty(step)
    centered = z - z.mean(dim=0)
    standardized = centered / centered.pow(2).mean(dim=0).sqrt()
    assert float(penalty) == pytest.approx(
        float(objective._affinity(standardized, s, y)[0]), rel=1e-5
    )
    shrunk = 0.01 * z + 5.0
    assert float(objective.penalty(Step(shrunk, y, s, {"z": shrunk}))) == pytest.approx(
        float(penalty), rel=1e-4
    )
    assert float(step.records["unpaired_fraction"]) == float(objective._affinity(z, s, y)[1])


def test_a_batch_without_any_pair_gives_a_zero_loss_that_keeps_the_graph():
    z = torch.ones(3, 2, requires_grad=True)
    s, y = torch.tensor([0, 0, 0]), torch.tensor([0, 1, 0])
    affinity = AffinityObjective(2, 2).penalty(Step(z, y, s, {"z": z}))
    affinity.backward()
    assert affinity.item() == 0 and torch.equal(z.grad, torch.zeros_like(z))


# -- the stratified sampler ----------------------------------------------------


@pytest.mark.parametrize(
    ("n_rows", "shard", "sizes"), [(129, None, [64, 65]), (71, (0, 4), [8, 10])]
)
def test_no_training_batch_gives_a_process_a_single_row(n_rows, shard, sizes):
    # a last batch of one row (or, over 4 processes, of fewer than 8) joins the one before
    data = TensorData({"X": torch.arange(n_rows)[:, None]}, torch.zeros(n_rows, dtype=torch.long))
    iterator = BatchIterator(
        data, batch_size=64 if shard is None else 32, shuffle=True, shard=shard
    )
    batches = [len(labels) for _, labels in iterator]
    assert batches[-2:] == sizes and len(batches) == len(iterator)
    evaluation = BatchIterator(data, batch_size=64, shuffle=False)
    assert sum(len(labels) for _, labels in evaluation) == n_rows


def test_stratified_batches_hold_every_cell_and_every_row_once():
    torch.manual_seed(0)
    n_rows = 1000
    y = torch.randint(2, (n_rows,))
    s = (torch.rand(n_rows) < 0.1).long()  # about 50 rows per minority cell, 8 batches
    data = TensorData({"X": torch.arange(n_rows)[:, None], "sensitive": s}, y)
    iterator = BatchIterator(data, batch_size=128, shuffle=True, cells=Cells(2 * y + s))
    batches = list(iterator)
    assert len(batches) == len(iterator) == 8
    for inputs, labels in batches:
        assert len(torch.unique(2 * labels + inputs["sensitive"])) == 4
        assert abs(len(labels) - n_rows / 8) <= 4
    rows = torch.cat([inputs["X"][:, 0] for inputs, _ in batches])
    assert torch.equal(rows.sort().values, torch.arange(n_rows))


def test_a_cell_smaller_than_the_batch_count_leaves_unpaired_samples_in_history():
    X, y, s = make_leaky_data(800)
    balanced = AffinityClassifier(max_epochs=2, random_state=0).fit(X, y, sensitive=s)
    assert balanced.history_[:, "train_unpaired_fraction"] == pytest.approx([0.0, 0.0], abs=1e-6)
    s[np.flatnonzero((s == 1) & (y == 1))[3:]] = 0  # three rows left in cell (1, 1)
    model = AffinityClassifier(max_epochs=2, random_state=0).fit(X, y, sensitive=s)
    # 7 batches, 4 of them without the rare cell: the (1, 0) rows there lack a partner
    expected = ((y == 1) & (s == 0)).sum() * 4 / 7 / len(y)
    for fraction in model.history_[:, "train_unpaired_fraction"]:
        assert fraction == pytest.approx(expected, abs=0.02)


# -- estimators ----------------------------------------------------------------


def test_transformer_learns_a_representation_a_probe_cannot_read_s_from():
    # the strongest of the fresh probes, trained on the training rows' z and read
    # on held-out rows (majority rate 0.525). 20 wide (the paper's z), where a
    # plain network keeps s: 0.82 at lam=0 and 0.54 at lam=0.1. The 2-wide
    # default reads 0.53 at lam=0.1 (and already at lam=0 on these data)
    X, y, s = make_leaky_data(1200)
    X_train, X_test, y_train, y_test, s_train, s_test = train_test_split(
        X, y, s, test_size=0.5, random_state=0
    )

    def leakage(**options):
        model = AffinityTransformer(max_epochs=30, random_state=0, **options)
        model.fit(X_train, y_train, sensitive=s_train)
        return sensitive_leakage(
            model.transform(X_train), s_train, held_out=(model.transform(X_test), s_test)
        ).accuracy

    assert leakage(lam=0.0, n_components=20) > 0.78
    assert leakage(lam=0.1, n_components=20) < 0.6
    assert leakage(lam=0.1) < 0.6


def test_transformer_has_no_predict_and_names_its_features(leaky_data):
    X, y, s = leaky_data
    fair = AffinityTransformer(n_components=3, max_epochs=2, random_state=0).fit(X, y, sensitive=s)
    assert not hasattr(fair, "predict")
    assert list(fair.get_feature_names_out()) == [f"affinitytransformer{i}" for i in range(3)]
    assert fair.transform(X).shape == (len(X), 3)


@pytest.mark.parametrize("routing", [True, False])
def test_transformer_is_a_pipeline_step_tuned_by_grid_search(routing, leaky_data):
    X, y, s = leaky_data
    pipe = make_pipeline(
        StandardScaler(), AffinityTransformer(max_epochs=2, random_state=0), LogisticRegression()
    )
    grid = {"affinitytransformer__lam": [0.0, 0.1]}
    with sklearn.config_context(enable_metadata_routing=routing):
        if routing:
            pipe[-1].set_fit_request(sample_weight=False)
            search = GridSearchCV(pipe, grid, cv=KFold(3)).fit(X, y, sensitive=s)
        else:
            search = GridSearchCV(pipe, grid, cv=KFold(3)).fit(
                X, y, affinitytransformer__sensitive=s
            )
    fitted = search.best_estimator_[1]
    assert fitted.sensitive_groups_ == [0, 1]  # sensitive reached the transformer
    assert len(fitted.history_[-1]["batches"]) == 7  # 800 rows, full data at refit
    assert search.predict(X).shape == (len(X),)


@pytest.mark.filterwarnings("ignore:Training accuracy")  # a 3-epoch fit learns little
def test_frozen_encoder_keeps_its_weights_and_buffers(leaky_data):
    X, y, s = leaky_data
    torch.manual_seed(0)
    pretrained = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.5))
    pretrained.train()
    pretrained(torch.randn(64, 4))  # give the batch-norm some running statistics
    before = {name: value.clone() for name, value in pretrained.state_dict().items()}
    model = AffinityClassifier(
        encoder=pretrained,
        freeze_encoder=True,
        n_components=4,
        hidden_layer_sizes=(),
        max_epochs=3,
        random_state=0,
    )
    model.fit(X, y, sensitive=s)
    frozen = model.net_.module_.encoder[0].module
    for name, value in frozen.state_dict().items():
        assert torch.equal(value.cpu(), before[name]), name  # the model may be on CUDA
    assert model.transform(X).shape == (len(X), 4)
    fair_layer = model.net_.module_.encoder[1]
    trained = {id(p) for group in model.net_.optimizer_.param_groups for p in group["params"]}
    assert {id(p) for p in fair_layer.parameters()} <= trained
    assert trained.isdisjoint(id(p) for p in frozen.parameters())
    # while the net trains, the frozen encoder stays in evaluation mode (dropout off)
    model.net_._set_training(True)
    assert model.net_.module_.training and not any(m.training for m in frozen.modules())


def test_freeze_encoder_without_an_encoder_says_what_to_pass(leaky_data):
    X, y, s = leaky_data
    with pytest.raises(ValueError, match="freeze_encoder=True needs encoder="):
        AffinityTransformer(freeze_encoder=True, max_epochs=1).fit(X, y, sensitive=s)


def test_reattaching_the_attribute_reads_a_larger_weight_once_z_is_fair():
    rng = np.random.RandomState(0)
    n = 1500
    s = rng.randint(0, 2, n)
    signal = rng.randn(n)
    y = (signal + 2.0 * s + 0.5 * rng.randn(n) > 1.0).astype(int)  # s itself drives y
    X = np.c_[signal + 0.3 * rng.randn(n), s + 0.3 * rng.randn(n), rng.randn(n)]
    models = [
        AffinityClassifier(lam=lam, max_epochs=20, random_state=0).fit(X, y, sensitive=s)
        for lam in (0.0, 1.0)
    ]
    plain, fair = (model.reattach_sensitive(X, y, s) for model in models)
    # the estimator's method is the representation measure applied to transform(X)
    assert reattach_sensitive(models[1].transform(X), y, s).w_z == pytest.approx(fair.w_z)
    assert fair.groups == [1] and fair.reference_group == 0 and fair.w_z.shape == (1,)
    # z of the plain model carries s's proxy, so s added back explains less (1.2 vs 2.0)
    assert fair.w_z[0] > plain.w_z[0] + 0.5
    assert 0 < fair.w_r < plain.w_r
    assert fair.accuracy_with_sensitive > fair.accuracy_without_sensitive + 0.01
    assert fair.r.shape == (n,) and abs(fair.r.std() - 1) < 1e-6


def test_reattaching_needs_a_binary_target(leaky_data):
    X, _, s = leaky_data
    y = np.arange(len(X)) % 3
    model = AffinityClassifier(max_epochs=1, random_state=0).fit(X, y, sensitive=s)
    with pytest.raises(ValueError, match="binary y"):
        model.reattach_sensitive(X, y, s)


# -- metrics and data -------------------------------------------------------------


def test_paper_gaps_are_the_existing_group_measures():
    rng = np.random.RandomState(0)
    y_true, y_pred, s = rng.randint(0, 2, (3, 200))
    # eq. 6 and eq. 5 of paper 004, counted by hand
    selection = [np.mean(y_pred[s == g] == 1) for g in (0, 1)]
    tpr = [np.mean(y_pred[(s == g) & (y_true == 1)] == 1) for g in (0, 1)]
    assert parity_gap(y_true, y_pred, sensitive=s) == pytest.approx(
        abs(selection[0] - selection[1])
    )
    assert equality_gap(y_true, y_pred, sensitive=s) == pytest.approx(abs(tpr[0] - tpr[1]))
    tnr = [np.mean(y_pred[(s == g) & (y_true == 0)] == 0) for g in (0, 1)]
    assert equality_gap(y_true, y_pred, sensitive=s, rate="tnr") == pytest.approx(
        abs(tnr[0] - tnr[1])
    )
    with pytest.raises(ValueError, match="rate must be"):
        equality_gap(y_true, y_pred, sensitive=s, rate="fpr")


def test_inverted_digits_invert_half_of_each_class():
    X, y, inverted = make_inverted_digits(random_state=0)
    again = make_inverted_digits(random_state=0)
    np.testing.assert_array_equal(X, again[0])
    for digit in range(10):
        assert abs(inverted[y == digit].mean() - 0.5) < 0.01
    # at the smallest fraction one image of each class is still inverted
    plain, _, few = make_inverted_digits(inverted_fraction=1e-9, random_state=0)
    assert np.bincount(y[few == 1]).tolist() == [1] * 10
    both = (inverted == 1) & (few == 0)
    np.testing.assert_allclose(X[both], 1 - plain[both])
    with pytest.raises(ValueError, match="inverted_fraction"):
        make_inverted_digits(inverted_fraction=1.5)


def test_rotated_digits_are_rotated_copies_in_angle_blocks():
    X, y, angle = make_rotated_digits(angles=(0, 90))
    n_images = len(X) // 2
    images = X.reshape(-1, 8, 8)
    np.testing.assert_allclose(
        images[n_images:], np.rot90(images[:n_images], axes=(1, 2)), atol=1e-12
    )
    np.testing.assert_array_equal(y[:n_images], y[n_images:])
    assert np.unique(angle).tolist() == [0, 90]
    with pytest.raises(ValueError, match="distinct"):
        make_rotated_digits(angles=(30, 30))


# -- the transformer meets the foundation's estimator requirements -----------------


def test_transformer_pickles_and_reproduces_with_random_state(leaky_data):
    X, y, s = leaky_data
    first = AffinityTransformer(max_epochs=3, random_state=7).fit(X, y, sensitive=s)
    second = AffinityTransformer(max_epochs=3, random_state=7).fit(X, y, sensitive=s)
    np.testing.assert_array_equal(first.transform(X), second.transform(X))
    restored = pickle.loads(pickle.dumps(first))
    np.testing.assert_array_equal(restored.transform(X), first.transform(X))


@pytest.mark.parametrize(
    "bad_input, message",
    [
        (lambda X, y, s: (X, y, s[:-1]), "sensitive has 799 rows"),
        (lambda X, y, s: (X, y, np.zeros_like(s)), "single group"),
        (lambda X, y, s: (X, y, s + np.linspace(0, 0.5, len(s))), "looks continuous"),
        (lambda X, y, s: (np.where(X > 0, "a", "b").astype(object), y, s), "must be numeric"),
    ],
)
def test_transformer_rejects_bad_inputs_clearly(bad_input, message, leaky_data):
    X, y, s = bad_input(*leaky_data)
    with pytest.raises(ValueError, match=message):
        AffinityTransformer(max_epochs=1).fit(X, y, sensitive=s)


def test_transformer_without_sensitive_warns(leaky_data):
    X, y, _ = leaky_data
    with pytest.warns(NoInvarianceWarning):
        fair = AffinityTransformer(max_epochs=1, random_state=0).fit(X, y)
    assert "train_penalty" not in fair.history_[-1]
