"""
A fair representation as a Pipeline step, then reading how much sex drives income
=================================================================================

``AffinityTransformer`` learns a representation of the UCI Adult data in which
every person has a near twin of the other sex and the same income class
(paper 004's affinity loss). A plain ``LogisticRegression`` is trained on it.
Metadata routing sends ``sensitive`` to the transformer only. On held-out
rows, beside the same pipeline without the affinity loss: accuracy, the
equality gap (the between-sex gap in true-positive rate), and how well a
fresh probe reads sex from the representation (against the majority rate).
Finally
``reattach_sensitive`` adds sex back to the fair model's 1-D decision and
reports the two weights.

Run: python examples/affinity_pipeline.py
"""

import sklearn
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skinvariant import AffinityTransformer
from skinvariant.datasets import load_adult
from skinvariant.metrics import equality_gap, sensitive_leakage


def make_model(lam):
    return make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), make_column_selector(dtype_exclude="number")),
            remainder=StandardScaler(),
            sparse_threshold=0,
        ),
        AffinityTransformer(
            lam=lam, hidden_layer_sizes=(128,), batch_size=512, max_epochs=10, random_state=0
        ),
        # routing on: say that the final step takes no sample_weight
        LogisticRegression(max_iter=1000).set_fit_request(sample_weight=False),
    )


def main():
    sklearn.set_config(enable_metadata_routing=True)
    X, y, sex = load_adult(return_X_y_s=True)
    X_train, X_test, y_train, y_test, sex_train, sex_test = train_test_split(
        X, y, sex, test_size=0.3, stratify=y, random_state=0
    )
    for lam in (0.0, 0.1):
        model = make_model(lam).fit(X_train, y_train, sensitive=sex_train)
        y_pred = model.predict(X_test)
        probe = sensitive_leakage(model[:-1].transform(X_test), sex_test)
        print(
            f"lam={lam:<4} accuracy {model.score(X_test, y_test):.3f}  "
            f"equality gap {equality_gap(y_test, y_pred, sensitive=sex_test):.3f}  "
            f"sex read from z {probe.accuracy:.3f} (majority {probe.majority_rate:.3f})"
        )
    fair = model[1]
    weights = fair.reattach_sensitive(model[0].transform(X_test), y_test, sex_test)
    print(
        f"re-attached sex: w_r {weights.w_r:.2f}, w_z ({weights.groups[0]}) {weights.w_z[0]:.2f}; "
        f"accuracy {weights.accuracy_without_sensitive:.3f} without sex, "
        f"{weights.accuracy_with_sensitive:.3f} with it"
    )


if __name__ == "__main__":
    main()
