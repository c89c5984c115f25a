"""InvertibleClassifier and its flow: exact inverse and log-determinant, metameric samples."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skinvariant import GraphCaptureWarning, InvertibleClassifier
from skinvariant.datasets import load_adult, make_attribute_blobs
from skinvariant.invertible import ClassConditionalAffine, InvertibleFlow
from skinvariant.metrics import sensitive_leakage


@pytest.mark.parametrize("mixing", ["permutation", "linear"])
@pytest.mark.parametrize("coupling", ["affine", "additive"])
def test_flow_inverts_exactly_and_its_log_determinant_matches_the_jacobian(coupling, mixing):
    torch.manual_seed(0)
    flow = InvertibleFlow(
        5, n_blocks=3, hidden_layer_sizes=(16,), coupling=coupling, mixing=mixing
    ).double()
    x = torch.randn(64, 5, dtype=torch.float64)
    flow.train()
    flow(x)  # ActNorm's data-dependent initialisation
    for module in flow.modules():  # leave the identity start of the couplings
        if hasattr(module, "net"):
            torch.nn.init.normal_(module.net[-1].weight, std=0.5)
        if hasattr(module, "log_s"):  # and the rotation start of the linear maps
            torch.nn.init.normal_(module.upper, std=0.5)
            torch.nn.init.normal_(module.log_s, std=0.3)
    flow.eval()
    z, logdet = flow(x[:4])
    torch.testing.assert_close(flow.inverse(z), x[:4], rtol=0, atol=1e-10)
    for row in range(4):
        jacobian = torch.autograd.functional.jacobian(lambda v: flow(v[None])[0][0], x[row])
        torch.testing.assert_close(logdet[row], torch.slogdet(jacobian)[1])


def test_class_conditional_block_whitens_each_class_and_inverts_exactly():
    torch.manual_seed(0)
    n_classes, width = 3, 6
    n_nuisance = width - n_classes
    labels = torch.arange(600) % n_classes
    mixing = (torch.eye(n_nuisance) + 0.3 * torch.randn(n_classes, n_nuisance, n_nuisance)).double()
    noise = torch.randn(600, n_nuisance, dtype=torch.float64)
    nuisance = torch.einsum("nij,nj->ni", mixing[labels], noise) + labels[:, None]
    block = ClassConditionalAffine(width, n_classes).double()
    block.fit(nuisance, labels)
    logits = 50.0 * torch.nn.functional.one_hot(labels, n_classes).double()  # confident
    whitened = block(torch.cat([logits, nuisance], dim=1))[0][:, n_classes:]
    identity = torch.eye(n_nuisance, dtype=torch.float64)
    for code in range(n_classes):  # each class leaves with zero mean and about unit covariance
        rows = whitened[labels == code]
        torch.testing.assert_close(
            rows.mean(dim=0), torch.zeros_like(identity[0]), rtol=0, atol=1e-8
        )
        # shrinkage and the variance floor leave the variances a little below 1
        torch.testing.assert_close(torch.cov(rows.T), identity, rtol=0, atol=0.25)
    x = torch.randn(4, width, dtype=torch.float64)  # soft posteriors mix the classes' maps
    z, logdet = block(x)
    torch.testing.assert_close(block.inverse(z), x, rtol=0, atol=1e-10)
    for row in range(4):
        jacobian = torch.autograd.functional.jacobian(lambda v: block(v[None])[0][0], x[row])
        torch.testing.assert_close(logdet[row], torch.slogdet(jacobian)[1])


@pytest.fixture(scope="module")
def fitted():
    X, y, s = make_attribute_blobs(600, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NoInvarianceWarning: the method needs no attribute
        warnings.simplefilter("ignore", GraphCaptureWarning)  # on a GPU: it trains eagerly
        model = InvertibleClassifier(max_epochs=30, random_state=0).fit(X, y)
    return model, X, y


def test_classifies_and_its_full_representation_inverts_to_the_input(fitted):
    model, X, y = fitted
    assert model.score(X, y) > 0.8
    assert model.transform(X).shape == (len(X), 2)  # the logits
    full = model.set_params(transform_output="full").transform(X)
    model.set_params(transform_output="logits")
    assert full.shape == (len(X), 4)
    np.testing.assert_allclose(model.inverse_transform(full), X, atol=1e-4)
    np.testing.assert_allclose(full[:, :2], model.transform(X), atol=1e-6)


def test_metameric_samples_keep_the_logits_of_their_first_argument(fitted):
    model, X, _ = fitted
    a, b = X[:50], X[50:100]
    mixed = model.metameric_sample(a, b)
    np.testing.assert_allclose(model.transform(mixed), model.transform(a), atol=1e-3)
    model.set_params(transform_output="nuisance")
    np.testing.assert_allclose(model.transform(mixed), model.transform(b), atol=1e-3)
    model.set_params(transform_output="logits")


def test_score_samples_is_the_likelihood_per_dimension(fitted):
    model, X, _ = fitted
    scores = model.score_samples(X)
    assert scores.shape == (len(X),) and np.isfinite(scores).all()
    far = X + 50.0
    assert model.score_samples(far).mean() < scores.mean()  # far from the data: less likely


def test_inverse_transform_takes_what_transform_gives(fitted):
    model, X, _ = fitted
    # the logits alone, inverted with z_n at its prior mean: the flow is a
    # bijection, so the inputs it returns have the very same logits
    restored = model.inverse_transform(model.transform(X))
    assert restored.shape == X.shape
    np.testing.assert_array_equal(model.predict(restored), model.predict(X))
    with pytest.raises(
        ValueError, match=r"Z must have shape \(n_samples, 2\).*or \(n_samples, 4\)"
    ):
        model.inverse_transform(np.zeros((3, 3)))


def test_feature_names_follow_transform_output(fitted):
    model, X, _ = fitted
    logits = [f"invertibleclassifier_logits{i}" for i in range(2)]
    nuisance = [f"invertibleclassifier_nuisance{i}" for i in range(2)]
    try:
        for output, names in (
            ("logits", logits),
            ("nuisance", nuisance),
            ("full", logits + nuisance),
        ):
            model.set_params(transform_output=output)
            assert list(model.get_feature_names_out()) == names
            assert len(names) == model.transform(X).shape[1] == model.n_components_, output
        model.set_output(transform="pandas")
        assert list(model.transform(X).columns) == logits + nuisance
        with pytest.raises(
            ValueError, match="'transform_output' parameter of InvertibleClassifier"
        ):
            model.set_params(transform_output="predictive").transform(X)
    finally:
        model.set_params(transform_output="logits").set_output(transform="default")


def test_too_few_inputs_are_padded_to_a_nonempty_nuisance_block():
    X, y, _ = make_attribute_blobs(300, random_state=0)
    model = InvertibleClassifier(max_epochs=3, random_state=0).fit(X[:, :2], y)
    assert model.n_latent_ == 3
    assert model.set_params(transform_output="nuisance").transform(X[:, :2]).shape == (300, 1)


def test_sensitive_makes_the_logits_invariant_where_s_leaks():
    X, y, s = make_attribute_blobs(1500, leakage=0.8, random_state=0)
    X_train, X_test, y_train, y_test, s_train, s_test = train_test_split(
        X, y, s, test_size=0.5, random_state=0
    )
    read = {}
    for lam in (0.0, 1.0):
        model = InvertibleClassifier(lam=lam, max_epochs=30, random_state=0).fit(
            X_train, y_train, sensitive=s_train
        )
        read[lam] = sensitive_leakage(model.transform(X), s, random_state=0).accuracy
        assert model.score(X_test, y_test) > 0.8
    assert read[0.0] > 0.7  # the logits carry the group when nothing stops them
    assert read[1.0] < read[0.0] - 0.1


def test_a_fresh_probe_no_longer_reads_the_class_from_the_nuisance_block():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        (X / 16).astype(np.float32), y, test_size=0.3, stratify=y, random_state=0
    )
    read, logit_error = {}, {}
    for class_conditional in (False, True):
        model = InvertibleClassifier(
            class_conditional=class_conditional, max_epochs=30, random_state=0
        ).fit(X_train, y_train)
        logit_error[class_conditional] = 1 - model.score(X_test, y_test)
        model.set_params(transform_output="nuisance")
        Z_train, Z_test = model.transform(X_train), model.transform(X_test)
        # the strongest of the three default probes and a 5-NN, which reads whitened z_n best
        read[class_conditional] = max(
            sensitive_leakage(
                Z_train, y_train, held_out=(Z_test, y_test), probe=probe
            ).balanced_accuracy
            for probe in (None, make_pipeline(StandardScaler(), KNeighborsClassifier(5)))
        )
    # seeds 0-2 measured 0.79-0.85 against 0.36-0.42 (chance 0.10); logit errors
    # 0.03-0.05 against 0.04-0.06
    assert read[False] > 0.7  # the paper's flow leaves the class in z_n
    assert read[True] < 0.5
    assert logit_error[True] < logit_error[False] + 0.03


def test_one_hot_columns_keep_their_accuracy_with_the_class_conditional_block():
    X, y, _ = load_adult(return_X_y_s=True)
    X, _, y, _ = train_test_split(X, y, train_size=10_000, stratify=y, random_state=0)
    encode = make_column_transformer(
        (
            OneHotEncoder(handle_unknown="ignore", sparse_output=False),
            make_column_selector(dtype_include=["object", "category"]),
        ),
        remainder=StandardScaler(),
    )
    X = encode.fit_transform(X).astype(np.float32)
    model = InvertibleClassifier(max_epochs=10, batch_size=256, random_state=0).fit(X, y)
    # Whitening each class without a variance floor stretched the nearly
    # constant directions of the one-hot columns until the likelihood
    # swamped the cross-entropy: training accuracy 0.61, against 0.84 without
    # the block (majority rate 0.75). With the floor: 0.845.
    assert model.score(X, y) > 0.8


def test_learned_linear_mixing_classifies_and_inverts():
    X, y, _ = make_attribute_blobs(300, random_state=0)
    model = InvertibleClassifier(mixing="linear", max_epochs=20, random_state=0).fit(X, y)
    assert model.score(X, y) > 0.8
    full = model.set_params(transform_output="full").transform(X)
    np.testing.assert_allclose(model.inverse_transform(full), X, atol=1e-4)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.transform(X), full)


def test_pickles_and_predicts_the_same(fitted):
    model, X, _ = fitted
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(
        restored.metameric_sample(X[:5], X[5:10]), model.metameric_sample(X[:5], X[5:10])
    )


def test_without_the_likelihood_term_it_is_neither_trained_nor_watched():
    X, y, _ = make_attribute_blobs(300, random_state=0)
    model = InvertibleClassifier(likelihood_weight=0.0, max_epochs=2, random_state=0).fit(X, y)
    assert "train_nll_per_dimension" not in model.history_[-1]
    assert "train_nuisance_ce" in model.history_[-1]


def test_a_constant_column_trains_without_dequantization():
    X, y, _ = make_attribute_blobs(300, random_state=0)
    X = np.c_[X, np.zeros(len(X))]  # e.g. a pixel that is always blank
    model = InvertibleClassifier(dequantize=False, max_epochs=30, random_state=0).fit(X, y)
    assert np.isfinite(model.score_samples(X)).all() and model.score(X, y) > 0.6
