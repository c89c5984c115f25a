"""ContrastiveInvariantClassifier: reconstruction, supervised contrast and nuisance swaps ("Reconstruction for disentanglement, contrast for invariance", an ICLR 2022 submission)."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from ..core import (
    InvariantClassifierBase,
    TwoBlockRepresentationMixin,
    check_layer_sizes,
    fill_doc,
    store_parameters,
)
from ..core._estimator import checked_call
from ..core._validation import as_frame, codes_of_known_groups, encode_groups
from ._network import VariationalNetwork
from ._objective import DIVERGENCES, ContrastiveInvariantObjective

__all__ = ["ContrastiveInvariantClassifier"]

TRANSFORM_OUTPUTS = ("predictive", "nuisance", "both")
# learning rate of the classifier trained apart, relative to ``lr``
CLASSIFIER_LR_FACTOR = 10.0


@fill_doc()
class ContrastiveInvariantClassifier(TwoBlockRepresentationMixin, InvariantClassifierBase):
    """Classifier on the predictive half of a VAE, disentangled from known and unknown nuisances.

    A VAE encodes x into z = [z_p, z_n]; a decoder reconstructs x from z; a
    linear classifier reads the mean of z_p (Zhu, Xie and Abd-Almageed,
    the paper's eq. 10). The loss is the ELBO, plus ``beta`` times a
    supervised contrastive loss clustering the normalised mean of z_p by
    class, plus ``gamma`` times the distance between decoding [z̄_p, z_n]
    (z̄_p drawn from the class's averaged posterior in the batch) and decoding
    [z_p, z_n], plus, with known nuisance factors, ``lam`` times the pair-swap
    term: each sample is paired with one of the batch that differs from it in
    the fewest known factors (``sensitive``, one column per factor), k; every
    z_n dimension but the k whose posteriors differ most takes the partner's
    value, and the decoding must still reconstruct x (eq. 5-6; the paper
    compares with the sample's own decoding, which a decoder ignoring z_n
    satisfies). Batches are stratified by class (and group).

    By default the classifier is trained apart (the paper's Table 5): its
    cross-entropy updates the classifier only, the other terms update the
    encoder and decoder only. Without ``sensitive`` the pair-swap term is off
    and the rest still trains; a ``NoInvarianceWarning`` says so.

    Parameters
    ----------
    lam : float, default=1.0
        Weight of the pair-swap term on the known nuisance factors.
    n_components : int, default=8
        Width of z_p, the predictive part (what ``transform`` returns).
    n_nuisance_components : int, default=8
        Width of z_n.
    beta : float, default=100.0
        Weight of the supervised contrastive loss, against an ELBO summed
        over the columns of x. On the coloured digits (192 columns) the
        worst-group accuracy rose with it up to about 300 (see the user
        guide); at 1 the pair term outweighed the contrast and the
        classifier lost 30 points.
    gamma : float, default=1.0
        Weight of the class-averaged z_p reconstruction term.
    temperature : float, default=0.1
        Temperature of the contrastive loss.
    divergence : {"kl", "jsd"}, default="kl"
        Divergence between a pair's posteriors, per z_n dimension.
    pair_warmup : float, default=0.0
        Fraction of ``max_epochs``, in [0, 1], over which the pair term warms
        up as the paper describes: the most factors a pair may differ in
        grows from 1 (by difficulty), and the number of swapped z_n
        dimensions from 1 (by amount). 0 swaps all but k from the start:
        on ``make_mixed_factors`` it disentangled z_n best (see the user
        guide).
    likelihood : {"gaussian", "bernoulli"}, default="gaussian"
        The decoder's likelihood: unit-variance Gaussian for standardised
        columns, Bernoulli for inputs in [0, 1].
    train_classifier_apart : bool, default=True
        Train the classifier on the detached z_p, with ten times the
        learning rate (a linear model on given features; at ``lr`` it lagged
        the features by many epochs); False trains it jointly with the rest
        (for comparison).
    transform_output : {"predictive", "nuisance", "both"}, default="predictive"
        What ``transform`` returns: the posterior mean of z_p, of z_n, or of both.
    hidden_layer_sizes : int or tuple of int, default=(64,)
        Hidden layers of the encoder; the decoder mirrors them.
    {training_parameters}

    Attributes
    ----------
    {common_attributes}
    n_latent_ : int
        Width of the whole representation (both blocks), what
        ``inverse_transform`` takes.
    n_factors_ : int
        Number of known nuisance factors (columns of ``sensitive``); 0 without it.

    See Also
    --------
    InvertibleClassifier : Keeps all of x in an invertible representation.

    Examples
    --------
    >>> from skinvariant import ContrastiveInvariantClassifier
    >>> from skinvariant.datasets import make_attribute_blobs
    >>> X, y, s = make_attribute_blobs(300, random_state=0)
    >>> clf = ContrastiveInvariantClassifier(max_epochs=3, random_state=0)
    >>> clf.fit(X, y, sensitive=s).transform(X).shape
    (300, 8)
    """

    _block_names = TRANSFORM_OUTPUTS
    _objective_needs_sensitive = False

    _parameter_constraints = {
        **{
            name: constraint
            for name, constraint in InvariantClassifierBase._parameter_constraints.items()
            if name != "encoder"
        },
        "n_nuisance_components": [Interval(Integral, 1, None, closed="left")],
        "beta": [Interval(Real, 0, None, closed="left")],
        "gamma": [Interval(Real, 0, None, closed="left")],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "divergence": [StrOptions(set(DIVERGENCES))],
        "pair_warmup": [Interval(Real, 0, 1, closed="both")],
        "likelihood": [StrOptions({"gaussian", "bernoulli"})],
        "train_classifier_apart": ["boolean"],
        "transform_output": [StrOptions(set(TRANSFORM_OUTPUTS))],
    }

    def __init__(
        self,
        lam=1.0,
        *,
        n_components=8,
        n_nuisance_components=8,
        beta=100.0,
        gamma=1.0,
        temperature=0.1,
        divergence="kl",
        pair_warmup=0.0,
        likelihood="gaussian",
        train_classifier_apart=True,
        transform_output="predictive",
        hidden_layer_sizes=(64,),
        class_weight=None,
        max_epochs=50,
        batch_size=128,
        lr=1e-3,
        optimizer="adam",
        validation_fraction=None,
        callbacks=None,
        device="auto",
        cuda_graphs=True,
        random_state=None,
        verbose=0,
    ):
        store_parameters(self, locals())

    # -- building -------------------------------------------------------------------

    def _encode_sensitive(self, sensitive, n_samples, *, reset=True):
        """Check each known factor as the other estimators check ``sensitive``; one code column each.

        The factors are checked one by one, not their intersection: the pair
        term needs each factor's values to recur, not each combination.
        """
        if not reset:
            return super()._encode_sensitive(sensitive, n_samples, reset=False)
        if sensitive is None:
            self.n_factors_ = 0
            self.factor_groups_ = None
            return super()._encode_sensitive(None, n_samples)
        frame = as_frame(sensitive)
        codes, self.factor_groups_ = [], []
        for column in frame.columns:
            codes.append(super()._encode_sensitive(frame[column], n_samples))
            self.factor_groups_.append(self.sensitive_groups_)
        self.n_factors_ = len(codes)
        self.sensitive_groups_ = encode_groups(frame, n_samples)[1]
        return np.column_stack(codes)

    def _chunk_sensitive_codes(self, sensitive, n_samples):
        frame = as_frame(sensitive)
        if frame.shape[1] != self.n_factors_:
            raise ValueError(
                f"sensitive has {frame.shape[1]} factors where the first call to "
                f"partial_fit had {self.n_factors_}."
            )
        return np.column_stack(
            [
                codes_of_known_groups(frame[column], groups, n_samples)
                for column, groups in zip(frame.columns, self.factor_groups_)
            ]
        )

    def _build_network(self, X):
        if self.likelihood == "bernoulli" and (X.min() < 0 or X.max() > 1):
            raise ValueError(
                "likelihood='bernoulli' needs X in [0, 1]; scale X (e.g. "
                "MinMaxScaler) or use likelihood='gaussian' on standardised X."
            )
        self.n_latent_ = self.n_components + self.n_nuisance_components
        return VariationalNetwork(
            X.shape[1],
            len(self.classes_),
            self.n_components,
            self.n_nuisance_components,
            check_layer_sizes("hidden_layer_sizes", self.hidden_layer_sizes),
            classifier_apart=self.train_classifier_apart,
        )

    def engine_options(self):
        if not self.train_classifier_apart:
            return {}
        # the linear classifier on fixed features is convex and cheap: let it
        # keep pace with the features (at lr it stayed at the majority class
        # for 10 epochs on Adult while a refit on z_p reached 0.84)
        return {
            "optimizer__param_groups": [("classifier.*", {"lr": CLASSIFIER_LR_FACTOR * self.lr})]
        }

    def build_objective(self, z_dim, n_classes):
        return ContrastiveInvariantObjective(
            self.n_components,
            self.n_nuisance_components,
            likelihood=self.likelihood,
            beta=self.beta,
            gamma=self.gamma,
            temperature=self.temperature,
            divergence=self.divergence,
            pair_warmup=self.pair_warmup,
        )

    # -- the representation and decodings -------------------------------------------

    def _first_block_width(self):
        return self.n_components

    def _invert(self, Z):
        decoded = super()._invert(Z)
        return 1.0 / (1.0 + np.exp(-decoded)) if self.likelihood == "bernoulli" else decoded

    @checked_call
    def swap_nuisance(self, X_from, X_nuisance_from):
        """Decode [z_p(a), z_n(b)]: the predictive part of one sample with the nuisance of another.

        Parameters
        ----------
        X_from : array-like of shape (n_samples, n_features)
        X_nuisance_from : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_features_in_)
            Decoder means (Gaussian) or probabilities (Bernoulli).
        """
        return self._combine(X_from, X_nuisance_from, ("X_from", "X_nuisance_from"))
