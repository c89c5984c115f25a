"""HSICClassifier and its kernel objective: scale-free, no critic, groups or a quantity."""

import numpy as np
import pytest
import torch

from skinvariant import (
    AdversarialClassifier,
    AffinityClassifier,
    AffinityTransformer,
    HSICClassifier,
    IIDMClassifier,
    MINEDebiasedClassifier,
)
from skinvariant.core import KernelPenaltyObjective, ObjectiveSum, Step, batch_hsic
from skinvariant.hsic import KernelIndependenceObjective
from skinvariant.metrics import hsic

from .conftest import make_leaky_data


def test_the_penalty_cannot_be_lowered_by_shrinking_z():
    torch.manual_seed(0)
    s = torch.randint(0, 3, (200,))
    z = torch.randn(200, 4) + s[:, None].float()
    objective = KernelIndependenceObjective(3)
    penalty = objective.penalty(Step(z, None, s, {"z": z}))
    shrunk = objective.penalty(Step(z, None, s, {"z": 1e-3 * z}))
    assert penalty.item() > 0.3
    assert shrunk.item() == pytest.approx(penalty.item(), rel=1e-4)
    independent = torch.randn(200, 4)
    assert objective.penalty(Step(z, None, s, {"z": independent})).item() < 0.05


def test_a_continuous_attribute_is_penalised_through_a_gaussian_kernel():
    torch.manual_seed(0)
    age = torch.randn(200, 1)
    objective = KernelIndependenceObjective(1, categorical=False)
    dependent = torch.cat([age + 0.1 * torch.randn(200, 1), torch.randn(200, 2)], dim=1)
    assert objective.penalty(Step(dependent, None, age, {"z": dependent})).item() > 0.3


def test_lam_lowers_the_kernel_statistic_of_the_representation():
    X, y, s = make_leaky_data(800)
    statistic = {
        lam: hsic(
            HSICClassifier(lam=lam, max_epochs=20, random_state=0)
            .fit(X, y, sensitive=s)
            .transform(X),
            s,
        )
        for lam in (0.0, 10.0)
    }
    assert statistic[10.0] < 0.5 * statistic[0.0]


def test_reads_a_continuous_sensitive_and_records_the_penalty():
    X, y, s = make_leaky_data(400)
    age = s + np.random.RandomState(0).normal(size=len(s))
    model = HSICClassifier(max_epochs=2, random_state=0).fit(X, y, sensitive=age)
    assert model.sensitive_type_ == "continuous"
    assert np.isfinite(model.history_[:, "train_penalty"]).all()


# -- kernel_penalty: the kernel term added to another method ---------------------


def test_a_kernel_penalty_adds_the_hsic_term_to_another_method_and_lowers_it():
    X, y, s = make_leaky_data(600)
    plain = IIDMClassifier(lam=1.0, kernel_penalty=0.0, max_epochs=10, random_state=0).fit(
        X, y, sensitive=s
    )
    kernel = IIDMClassifier(lam=1.0, kernel_penalty=1.0, max_epochs=10, random_state=0).fit(
        X, y, sensitive=s
    )
    assert "train_hsic" not in plain.history_[-1]
    assert {"train_hsic", "train_kernel_penalty", "train_adversary_loss"} <= set(
        kernel.history_[-1]
    )
    # measured: HSIC of z and s 0.0104 without the term, 0.0032 with it; accuracy 0.94 and 0.95
    assert hsic(kernel.transform(X), s) < 0.5 * hsic(plain.transform(X), s)
    assert kernel.score(X, y) > plain.score(X, y) - 0.03


@pytest.mark.parametrize(
    "Estimator",
    [AdversarialClassifier, MINEDebiasedClassifier, AffinityClassifier, AffinityTransformer],
)
def test_the_kernel_penalty_reads_the_attribute_as_its_estimator_does(Estimator):
    X, y, s = make_leaky_data(200)
    age = s + np.random.RandomState(0).uniform(size=len(s))
    sensitive = age if Estimator is MINEDebiasedClassifier else s
    fitted = Estimator(kernel_penalty=2.0, max_epochs=1, random_state=0).fit(
        X, y, sensitive=sensitive
    )
    objective = fitted.net_.objective_
    assert isinstance(objective, ObjectiveSum)
    kernel = objective.parts[-1]
    assert isinstance(kernel, KernelPenaltyObjective) and kernel.weight == 2.0
    assert kernel.categorical == (Estimator is not MINEDebiasedClassifier)
    assert "kernel_penalty" in [term.name for term in objective.terms()]
    assert np.isfinite(fitted.history_[-1, "train_hsic"])
    with pytest.raises(ValueError, match="kernel_penalty"):
        Estimator(kernel_penalty=-1.0).fit(X, y, sensitive=s)


def test_the_kernel_penalty_reads_at_most_max_rows_of_a_large_batch():
    torch.manual_seed(0)
    s = torch.randint(0, 2, (3000,))
    z = torch.randn(3000, 2) + s[:, None].float()
    penalty = KernelPenaltyObjective(2, max_rows=256)
    torch.manual_seed(1)
    value = penalty.kernel_penalty(Step(z, None, s, {"z": z}))
    torch.manual_seed(1)
    rows = torch.argsort(torch.rand(3000))[:256]  # the subset the penalty drew
    assert value.item() == pytest.approx(batch_hsic(z[rows], s[rows], 2, categorical=True).item())
    # the subset still tells dependence (0.30; the whole batch reads 0.23) from
    # independence (an independent z reads below 0.01 on 256 rows)
    independent = torch.randn(3000, 2)
    assert value.item() > 0.2
    assert penalty.kernel_penalty(Step(z, None, s, {"z": independent})).item() < 0.03
    # a batch within max_rows is read whole
    whole = batch_hsic(z, s, 2, categorical=True).item()
    within = KernelPenaltyObjective(2, max_rows=3000).kernel_penalty(Step(z, None, s, {"z": z}))
    assert within.item() == pytest.approx(whole)


def test_a_batch_of_one_group_reads_zero_with_a_finite_gradient():
    # a constant attribute kernel: nothing to compare, and no division of rounding error by zero
    for n_rows in (2, 5):
        z = torch.randn(n_rows, 2, requires_grad=True)
        statistic = batch_hsic(z, torch.zeros(n_rows, dtype=torch.long), 3, categorical=True)
        statistic.backward()
        assert statistic.item() == 0.0 and torch.isfinite(z.grad).all()
