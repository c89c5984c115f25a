"""Reconstruction for disentanglement, contrast for invariance (an ICLR 2022
submission of that title): a VAE whose latent z = [z_p, z_n] is split into a
predictive part, clustered by class with a supervised contrastive loss, and a
nuisance part.

``_network`` holds the VAE, ``_objective`` the objective and ``_estimator``
:class:`ContrastiveInvariantClassifier`.
"""

from ._estimator import ContrastiveInvariantClassifier
from ._network import VariationalNetwork
from ._objective import ContrastiveInvariantObjective, supervised_contrastive_loss

__all__ = [
    "ContrastiveInvariantClassifier",
    "ContrastiveInvariantObjective",
    "VariationalNetwork",
    "supervised_contrastive_loss",
]
