"""Constants the measures share."""

CONTINUOUS_ADVICE = (
    "measure how much a representation reveals it with skinvariant.metrics.continuous_leakage"
)
PROBABILITY_FLOOR = 1e-15
