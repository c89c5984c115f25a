"""HSICClassifier and its kernel objective: scale-free, no critic, groups or a quantity."""

import numpy as np
import pytest
import torch

from skinvariant import HSICClassifier
from skinvariant.objectives import KernelIndependenceObjective, Step

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
    from skinvariant.metrics import hsic

    X, y, s = make_leaky_data(800)
    statistic = {lam: hsic(HSICClassifier(lam=lam, max_epochs=20, random_state=0)
                           .fit(X, y, sensitive=s).transform(X), s)
                 for lam in (0.0, 10.0)}
    assert statistic[10.0] < 0.5 * statistic[0.0]


def test_reads_a_continuous_sensitive_and_records_the_penalty():
    X, y, s = make_leaky_data(400)
    age = s + np.random.RandomState(0).normal(size=len(s))
    model = HSICClassifier(max_epochs=2, random_state=0).fit(X, y, sensitive=age)
    assert model.sensitive_type_ == "continuous"
    assert np.isfinite(model.history_[:, "train_penalty"]).all()
