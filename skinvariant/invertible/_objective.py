"""Independence cross-entropy on a fully invertible network (Jacobsen et al., ICLR 2019).

The flow's first outputs are the logits z_s, the rest the nuisance z_n. A
nuisance classifier D(z_n) learns, in inner steps on the detached z_n, to
predict y; the flow maximises its cross-entropy (weight ``lam``), so z_n
carries no class information, while z_n's likelihood under a factorised
Gaussian plus log|det J| is maximised (weight ``likelihood_weight``), so z_n
keeps everything else about x (Jacobsen et al., ICLR 2019, Definition 7).
"""

import torch.nn.functional as F

from ..core import LAM, Network, Objective, Term, make_mlp

# A negative log-likelihood above this many nats per dimension means the flow
# has blown up (standardised data score about 1.4).
DIVERGED_NLL_PER_DIMENSION = 1e3


class IndependenceCrossEntropyObjective(Objective):
    """Cross-entropy on the logits, against a nuisance classifier, plus z_n's likelihood.

    Each term is scaled so that its size does not grow with the dimension:
    the nuisance cross-entropy is divided by the number of nuisance
    dimensions, the negative log-likelihood is per dimension of z.

    Parameters
    ----------
    n_classes : int
        Number of classes (the width of the logit block).
    n_dimensions : int
        Width of z.
    hidden_layer_sizes : tuple of int, default=(64,)
        Hidden layers of the nuisance classifier; None leaves it out (with
        ``lam=0``, the paper's cross-entropy baseline).
    n_nuisance_steps : int, default=5
        Steps of the nuisance classifier per flow step.
    likelihood_weight : float, default=1.0
        Weight of the negative log-likelihood of z_n.
    nuisance_target : {"maximize", "confuse"}, default="maximize"
        ``"maximize"``: the flow maximises the nuisance classifier's
        cross-entropy on the true labels (Definition 7). ``"confuse"``: the
        flow minimises its cross-entropy to the uniform distribution, which
        cannot be overshot into a flipped, still readable code.
    """

    graph_capture_obstacle = (
        "the flow's ActNorm layers initialise themselves on their first batch, "
        "a branch on a tensor's value in every forward pass"
    )

    def __init__(
        self,
        n_classes,
        n_dimensions,
        *,
        hidden_layer_sizes=(64,),
        n_nuisance_steps=5,
        likelihood_weight=1.0,
        nuisance_target="maximize",
    ):
        super().__init__()
        self.n_nuisance = n_dimensions - n_classes
        self.n_dimensions = n_dimensions
        self.nuisance_classifier = (
            None
            if hidden_layer_sizes is None
            else make_mlp(self.n_nuisance, hidden_layer_sizes, n_classes)
        )
        self.n_nuisance_steps = n_nuisance_steps
        self.likelihood_weight = likelihood_weight
        self.nuisance_target = nuisance_target

    def networks(self):
        if self.nuisance_classifier is None:
            return {}
        return {
            "nuisance_classifier": Network(
                self.nuisance_classifier, "inner", self.n_nuisance_steps, needs_sensitive=False
            )
        }

    def terms(self):
        terms = []
        if self.likelihood_weight:  # unweighted, it is not watched for divergence either
            terms.append(
                Term("nll_per_dimension", self.nll_per_dimension, weight=self.likelihood_weight)
            )
        if self.nuisance_classifier is not None:
            terms.append(Term("nuisance_ce", self.negated_nuisance_cross_entropy, weight=LAM))
        return terms

    def network_loss(self, name, step):
        logits = self.nuisance_classifier(step.outputs["nuisance"])
        step.record("nuisance_acc", (logits.argmax(dim=1) == step.y).float().mean())
        return F.cross_entropy(logits, step.y)

    def negated_nuisance_cross_entropy(self, step):
        """The flow's nuisance term, per nuisance dimension (see ``nuisance_target``)."""
        log_q = F.log_softmax(self.nuisance_classifier(step.outputs["nuisance"]), dim=1)
        if self.nuisance_target == "confuse":
            return -log_q.mean(dim=1).mean() / self.n_nuisance
        return F.nll_loss(log_q, step.y).neg() / self.n_nuisance

    def nll_per_dimension(self, step):
        """``-(log p(z_n) + log|det J|) / D`` in nats, averaged over the batch."""
        outputs = step.outputs
        return -(outputs["nuisance_log_prior"] + outputs["logdet"]).mean() / self.n_dimensions

    def diverged(self, epoch_means):
        nll = epoch_means.get("nll_per_dimension", 0.0)
        if nll > DIVERGED_NLL_PER_DIMENSION:
            return {"nll_per_dimension": f"rose to {nll:.4g} nats (the flow blew up)"}
        return {}
