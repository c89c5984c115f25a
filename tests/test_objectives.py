"""The objectives' own semantics, independent of training."""

import pytest
import torch
import torch.nn.functional as F

from skinvariant.adversarial import AdversarialObjective
from skinvariant.core import Step, grad_reverse
from skinvariant.iidm import DiscriminatorMatchingObjective


@pytest.fixture
def batch():
    torch.manual_seed(0)
    z = torch.randn(12, 3)
    s = torch.tensor([0, 1, 2] * 4)
    y = torch.tensor([0] * 6 + [1] * 6)
    return z, s, y


def group_mean_logits(objective, z, s, group):
    """Mean adversary output over the group's rows, from one forward over the whole batch."""
    with torch.no_grad():
        return objective.adversary(z)[s == group].mean(0)


def test_centroids_start_at_each_groups_mean_adversary_output(batch):
    z, s, y = batch
    matching = DiscriminatorMatchingObjective(3, 3, 2)
    matching.initialize(Step(z, y, s, {"z": z}))
    for group in range(3):
        torch.testing.assert_close(
            matching.centroids[0, group], group_mean_logits(matching, z, s, group)
        )
    assert matching.seen.all()


def test_centroids_move_by_decay_and_absent_groups_keep_theirs(batch):
    z, s, y = batch
    matching = DiscriminatorMatchingObjective(3, 3, 2, decay=0.7)
    matching.initialize(Step(z, y, s, {"z": z}))
    before = matching.centroids.clone()
    present = s != 2
    moved = z[present] + 1.0
    matching.after_step("adversary", Step(moved, y[present], s[present], {"z": moved}))
    new_mean = group_mean_logits(matching, z[present] + 1.0, s[present], 0)
    torch.testing.assert_close(matching.centroids[0, 0], 0.7 * before[0, 0] + 0.3 * new_mean)
    torch.testing.assert_close(matching.centroids[0, 2], before[0, 2])


def test_penalty_vanishes_when_the_adversary_cannot_tell_groups_apart(batch):
    z, s, y = batch
    matching = DiscriminatorMatchingObjective(3, 3, 2)
    torch.nn.init.zeros_(matching.adversary[-1].weight)  # constant output for every z
    matching.initialize(Step(z, y, s, {"z": z}))
    assert matching.penalty(Step(z, y, s, {"z": z})).item() == pytest.approx(0.0, abs=1e-7)
    torch.nn.init.normal_(matching.adversary[-1].weight)
    matching.initialize(Step(z, y, s, {"z": z}))
    assert matching.penalty(Step(z, y, s, {"z": z})).item() > 0.0


def test_semantic_alignment_matches_only_within_the_class(batch):
    z, s, y = batch
    matching = DiscriminatorMatchingObjective(3, 3, 2, semantic_alignment=True)
    keep = ~((y == 1) & (s == 2))  # the (class 1, group 2) cell is empty
    matching.initialize(Step(z[keep], y[keep], s[keep], {"z": z[keep]}))
    assert matching.seen.tolist() == [[True, True, True], [True, True, False]]
    assert torch.isfinite(matching.penalty(Step(z[keep], y[keep], s[keep], {"z": z[keep]})))


def test_adversary_gradient_penalty_adds_to_the_adversary_loss(batch):
    z, s, y = batch
    plain = AdversarialObjective(3, 3)
    penalised = AdversarialObjective(3, 3, gradient_penalty=10.0)
    penalised.load_state_dict(plain.state_dict())
    step = Step(z, y, s, {"z": z})
    assert penalised.adversary_loss(step) > plain.adversary_loss(step)


@pytest.mark.parametrize("mode", ["alternating", "nonsaturating"])
def test_encoder_penalty_pushes_against_the_adversary(mode, batch):
    z, s, y = batch
    objective = AdversarialObjective(3, 3, mode=mode)
    z = z.clone().requires_grad_(True)
    objective.penalty(Step(z, y, s, {"z": z})).backward()
    with torch.no_grad():
        stepped = z - 0.1 * z.grad
        before = F.cross_entropy(objective.adversary(z), s)
        after = F.cross_entropy(objective.adversary(stepped), s)
    assert after > before  # a step on the penalty makes the adversary worse


def test_gradient_reversal_is_identity_forward_and_scaled_negation_backward():
    x = torch.randn(4, 2, requires_grad=True)
    out = grad_reverse(x, 0.5)
    torch.testing.assert_close(out, x)
    out.sum().backward()
    torch.testing.assert_close(x.grad, torch.full_like(x, -0.5))


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="mode must be one of"):
        AdversarialObjective(3, 2, mode="minimax")


def test_adversary_cannot_be_fooled_by_shrinking_the_representation(batch):
    z, s, y = batch
    objective = AdversarialObjective(3, 3)
    with torch.no_grad():
        torch.testing.assert_close(
            objective.adversary(z), objective.adversary(1e-2 * z), rtol=1e-3, atol=1e-3
        )


def test_batch_standardize_accepts_a_single_row():
    from skinvariant.core import BatchStandardize

    assert torch.equal(BatchStandardize()(torch.tensor([[3.0, -1.0]])), torch.zeros(1, 2))
