"""ContrastiveInvariantClassifier: its losses by hand, pair swapping, the classifier trained apart."""

import functools
import math
import pickle
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from skinvariant import ContrastiveInvariantClassifier, NoInvarianceWarning
from skinvariant.contrastive import (
    ContrastiveInvariantObjective,
    VariationalNetwork,
    supervised_contrastive_loss,
)
from skinvariant.contrastive._objective import choose_partners, posterior_divergence
from skinvariant.core import TASK_LOSS, Step
from skinvariant.datasets import make_attribute_blobs


def test_supervised_contrast_matches_a_hand_computation_and_skips_lonely_anchors():
    features = torch.tensor([[1.0, 0.0], [0.0, 2.0], [3.0, 0.0], [0.0, -1.0]])
    labels = torch.tensor([0, 1, 0, 2])  # the last anchor has no positive
    t = 0.5

    # normalised: a=(1,0), b=(0,1), c=(1,0), d=(0,-1); anchors a, c have one positive each,
    # b's only positive would be itself: b and d are skipped
    def anchor_loss(sim_pos, sims_all):
        return -(sim_pos / t - math.log(sum(math.exp(v / t) for v in sims_all)))

    expected = np.mean([anchor_loss(1.0, [0.0, 1.0, 0.0]), anchor_loss(1.0, [1.0, 0.0, 0.0])])
    loss = supervised_contrastive_loss(features, labels, t)
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    lonely = supervised_contrastive_loss(features.requires_grad_(), torch.arange(4), t)
    lonely.backward()
    assert lonely.item() == 0.0 and torch.isfinite(features.grad).all()


def test_partners_differ_in_as_few_factors_as_the_batch_allows():
    factors = torch.tensor([[0, 0], [0, 1], [1, 1], [5, 5]])
    partner, n_different = choose_partners(factors, 2, generator=torch.Generator().manual_seed(0))
    assert n_different.tolist() == [1, 1, 1, 2]
    assert ((factors != factors[partner]).sum(dim=1) == n_different).all()
    _, n_different = choose_partners(factors, 1)
    assert n_different.tolist() == [1, 1, 1, 0]  # (5, 5) has no partner one factor away


def swap_step(x, progress=1.0):
    """Two rows one factor apart; z = [z_p, z_n] with z_n's last dimension the most divergent.

    The decoder is the identity, so the loss reads the swapped codes directly.
    """
    z = torch.tensor([[9.0, 1.0, 2.0, 3.0], [8.0, 4.0, 5.0, 6.0]])
    mu = torch.tensor([[0.0, 0.0, 0.1, 5.0], [0.0, 0.0, 0.0, 0.0]])
    outputs = {
        "mu": mu,
        "logvar": torch.zeros_like(mu),
        "z_sample": z,
        "decode": lambda codes: codes,
    }
    return Step(
        x, torch.tensor([0, 0]), torch.tensor([[0], [1]]), outputs, 1.0, progress, F.cross_entropy
    )


def test_the_pair_swap_exchanges_all_but_the_most_divergent_dimension_and_targets_x():
    objective = ContrastiveInvariantObjective(1, 3)
    # z_p and the last z_n dimension stay; the other two come from the partner
    swapped = torch.tensor([[9.0, 4.0, 5.0, 3.0], [8.0, 1.0, 2.0, 6.0]])
    assert objective.pair_swap(swap_step(swapped)).item() == 0.0
    unswapped = torch.tensor([[9.0, 1.0, 2.0, 3.0], [8.0, 4.0, 5.0, 6.0]])
    # 0.5 * squared distance summed over columns, averaged over the two rows
    assert objective.pair_swap(swap_step(unswapped)).item() == pytest.approx(0.5 * 18.0)


def test_the_warmup_by_amount_swaps_one_dimension_first():
    objective = ContrastiveInvariantObjective(1, 3, pair_warmup=0.5)
    # at the start only the least divergent z_n dimension (the first) is swapped
    one_swapped = torch.tensor([[9.0, 4.0, 2.0, 3.0], [8.0, 1.0, 5.0, 6.0]])
    assert objective.pair_swap(swap_step(one_swapped, progress=0.0)).item() == 0.0
    two_swapped = torch.tensor([[9.0, 4.0, 5.0, 3.0], [8.0, 1.0, 2.0, 6.0]])
    assert objective.pair_swap(swap_step(two_swapped, progress=0.5)).item() == 0.0


@pytest.mark.parametrize("kind", ["kl", "jsd"])
def test_posterior_divergence_is_zero_on_equal_posteriors_and_grows_with_distance(kind):
    mean, logvar = torch.zeros(1, 3), torch.zeros(1, 3)
    other = torch.tensor([[0.0, 1.0, 3.0]])
    divergence = posterior_divergence(mean, logvar, other, logvar, kind)
    assert divergence[0, 0] == pytest.approx(0.0, abs=1e-7)
    assert divergence[0, 0] < divergence[0, 1] < divergence[0, 2]
    if kind == "jsd":  # symmetric
        torch.testing.assert_close(
            divergence, posterior_divergence(other, logvar, mean, logvar, kind)
        )


def test_the_classifier_trained_apart_shares_no_gradient_with_the_rest():
    torch.manual_seed(0)
    network = VariationalNetwork(4, 2, 2, 3, (8,), classifier_apart=True)
    objective = ContrastiveInvariantObjective(2, 3)
    x, y = torch.randn(16, 4), torch.arange(16) % 2
    s = torch.stack([torch.arange(16) % 2, torch.arange(16) // 8], dim=1)
    per_row_cross_entropy = functools.partial(F.cross_entropy, reduction="none")
    step = Step(x, y, s, network.outputs(x), 1.0, 0.5, per_row_cross_entropy)
    for name, term in [(term.name, term) for term in [TASK_LOSS, *objective.terms()]]:
        network.zero_grad()
        term.compute(step).backward(retain_graph=True)
        classifier_grad = any(
            p.grad is not None and p.grad.abs().sum() > 0 for p in network.classifier.parameters()
        )
        encoder_grad = any(
            p.grad is not None and p.grad.abs().sum() > 0 for p in network.encoder.parameters()
        )
        if name == "task_loss":
            assert classifier_grad and not encoder_grad
        else:
            assert encoder_grad and not classifier_grad, name


def test_joint_training_lets_the_cross_entropy_reach_the_encoder():
    network = VariationalNetwork(4, 2, 2, 3, (8,), classifier_apart=False)
    torch.nn.init.normal_(network.classifier.weight)  # it starts at zero
    x, y = torch.randn(16, 4), torch.arange(16) % 2
    F.cross_entropy(network.outputs(x)["logits"], y).backward()
    assert any(p.grad.abs().sum() > 0 for p in network.encoder.parameters())


@pytest.fixture(scope="module")
def fitted():
    X, y, s = make_attribute_blobs(600, random_state=0)
    model = ContrastiveInvariantClassifier(max_epochs=20, lr=1e-2, random_state=0)
    return model.fit(X, y, sensitive=s), X, y, s


def test_fits_records_each_term_and_decodes(fitted):
    model, X, y, _ = fitted
    assert model.score(X, y) > 0.8
    for key in (
        "train_task_loss",
        "train_elbo_loss",
        "train_contrast",
        "train_class_swap",
        "train_pair_swap",
        "train_paired_fraction",
    ):
        assert np.isfinite(model.history_[-1, key]), key
    assert model.transform(X).shape == (600, 8)
    both = model.set_params(transform_output="both").transform(X)
    model.set_params(transform_output="predictive")
    assert model.inverse_transform(both).shape == X.shape
    assert model.swap_nuisance(X[:5], X[5:10]).shape == (5, X.shape[1])
    assert model.inverse_transform(model.transform(X)).shape == X.shape
    assert len(model.get_feature_names_out()) == 8
    assert len(model.set_params(transform_output="both").get_feature_names_out()) == 16
    model.set_params(transform_output="predictive")
    with pytest.raises(
        ValueError, match=r"Z must have shape \(n_samples, 8\).*or \(n_samples, 16\)"
    ):
        model.inverse_transform(both[:, :5])


def test_pickles_and_predicts_the_same(fitted):
    model, X, _, _ = fitted
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))


def test_without_sensitive_the_pair_term_is_off_and_the_rest_trains():
    X, y, _ = make_attribute_blobs(300, random_state=0)
    with pytest.warns(NoInvarianceWarning):
        model = ContrastiveInvariantClassifier(max_epochs=2, random_state=0).fit(X, y)
    assert "train_pair_swap" not in model.history_[-1]
    assert np.isfinite(model.history_[-1, "train_contrast"])


def test_bernoulli_likelihood_needs_inputs_in_the_unit_interval():
    X, y, s = make_attribute_blobs(100, random_state=0)
    with pytest.raises(ValueError, match=r"likelihood='bernoulli' needs X in \[0, 1\]"):
        ContrastiveInvariantClassifier(likelihood="bernoulli", max_epochs=1).fit(X, y, sensitive=s)


def test_the_classifier_trained_apart_steps_ten_times_faster(fitted):
    model = fitted[0]
    groups = model.net_.optimizer_.param_groups
    classifier = {id(p) for p in model.net_.module_.classifier.parameters()}
    rates = {group["lr"] for group in groups if {id(p) for p in group["params"]} <= classifier}
    assert rates == {10 * model.lr}
    assert {group["lr"] for group in groups} == {model.lr, 10 * model.lr}


def test_swapped_bernoulli_decodings_are_compared_as_probabilities():
    objective = ContrastiveInvariantObjective(2, 2, likelihood="bernoulli")
    saturated = torch.tensor([[20.0, -20.0]])
    more_saturated = torch.tensor([[40.0, -40.0]])  # the same image, as probabilities
    assert float(objective.decoding_distance(saturated, more_saturated)) < 1e-8
    gaussian = ContrastiveInvariantObjective(2, 2, likelihood="gaussian")
    assert float(gaussian.decoding_distance(saturated, more_saturated)) == 800.0


def test_worst_group_accuracy_rises_over_a_plain_network_on_shifted_colours():
    # the Table 1 of Colored-MNIST in small: training backgrounds follow the
    # class half of the time, test backgrounds are colours unseen in training.
    # Measured with these settings on seeds 0-4 (2026-12-04): average accuracy
    # 0.835 / 0.787 / 0.761 / 0.843 / 0.793 against the MLP's 0.704 / 0.678 /
    # 0.581 / 0.715 / 0.719 (above it by 7 to 18 points on every seed); worst
    # (class, background) accuracy 0.44 / 0.15 / 0.27 / 0.47 / 0.27 against
    # 0.12 / 0.17 / 0.20 / 0.27 / 0.09: the worst cell holds about 18 digits,
    # so it is judged on the mean of seeds 0-2 (+0.12), not seed by seed.
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    from skinvariant.datasets import make_colored_background_digits
    from skinvariant.metrics import worst_group_accuracy

    gains = {"accuracy": [], "worst_group": []}
    for seed in range(3):
        data = make_colored_background_digits(0.5, random_state=seed)
        model = ContrastiveInvariantClassifier(
            n_components=8,
            hidden_layer_sizes=(64,),
            likelihood="bernoulli",
            max_epochs=100,
            random_state=seed,
        ).fit(data.X_train, data.y_train, sensitive=data.nuisance_train)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # 100 epochs, as the model's
            plain = MLPClassifier((64, 8), max_iter=100, random_state=seed)
            plain.fit(data.X_train, data.y_train)
        cells = np.column_stack([data.y_test, data.nuisance_test[:, 1]])
        scores = []
        for fitted in (model, plain):
            y_pred = fitted.predict(data.X_test)
            scores.append(
                (
                    np.mean(y_pred == data.y_test),
                    worst_group_accuracy(data.y_test, y_pred, sensitive=cells),
                )
            )
        gains["accuracy"].append(scores[0][0] - scores[1][0])
        gains["worst_group"].append(scores[0][1] - scores[1][1])
    assert min(gains["accuracy"]) >= 0.05, gains
    assert np.mean(gains["worst_group"]) >= 0.05, gains


def test_known_factors_are_checked_one_by_one_not_as_their_combinations():
    from skinvariant.datasets import make_mixed_factors

    # 125 combinations of three factors over 300 rows: many occur once, which
    # the intersectional check of the other estimators refuses
    X, y, s = make_mixed_factors(300, random_state=0)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*(group|sensitive)")
        model = ContrastiveInvariantClassifier(max_epochs=2, random_state=0).fit(X, y, sensitive=s)
    assert model.n_factors_ == 3
    s[0, 1] = 99  # a level seen once in one factor is refused, naming it
    with pytest.raises(ValueError, match="99"):
        ContrastiveInvariantClassifier(max_epochs=1).fit(X, y, sensitive=s)


def test_the_pair_term_disentangles_z_n_when_every_factor_is_known():
    # make_mixed_factors, 3000 rows, 30 epochs; MIG of z_n against the three
    # known factors, measured on seeds 0-4 (2026-12-04): 0.03 / 0.28 / 0.17 /
    # 0.11 / 0.19 without the pair term, 0.60 / 0.56 / 0.24 / 0.35 / 0.25 with
    # it: higher on every seed (by 0.06 to 0.57), by 0.31 on the mean of 0-2
    from skinvariant.datasets import make_mixed_factors
    from skinvariant.metrics import mutual_information_gap

    mig = {0.0: [], 1.0: []}
    for seed in range(3):
        X, y, s = make_mixed_factors(3000, random_state=seed)
        for lam in mig:
            model = ContrastiveInvariantClassifier(
                lam=lam, transform_output="nuisance", max_epochs=30, random_state=seed
            )
            mig[lam].append(mutual_information_gap(s, model.fit(X, y, sensitive=s).transform(X)))
    with_pairs, without = np.array(mig[1.0]), np.array(mig[0.0])
    assert np.all(with_pairs > without), mig
    assert with_pairs.mean() >= without.mean() + 0.2, mig
