#!/bin/bash
# The GPU checks in one command, for a machine with CUDA and PyTorch but no network.
#
# Beforehand, on a machine with pip, put the missing packages as wheels in .whl/
# (the device's Python was 3.12):
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
#     --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
#     -d .whl skorch fairlearn scikit-learn==1.9.1 dask distributed partd locket tornado zict tblib
# Then, on the GPU machine, from the repository root:
#   bash benchmarks/gpu_check.sh [tests|bench|suite|all]
# It writes its logs under $OUT (default gpu_check/): the CUDA-marked tests, the
# CUDA-graph benchmark, and the whole suite with every fit on the GPU (device="auto").
set -u
OUT=$(realpath -m "${OUT:-gpu_check}")
mkdir -p "$OUT"
if compgen -G ".whl/*.whl" > /dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site:$PWD
fi
export PYTHONUNBUFFERED=1
STAGE=${1:-all}
python3 -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.__version__, torch.cuda.get_device_name())" || exit 1
if [[ $STAGE == all || $STAGE == tests ]]; then
  timeout "${TESTS_LIMIT:-150}" python3 -m pytest -v -p no:cacheprovider -m cuda tests -n 4 \
    > "$OUT/cuda_tests.log" 2>&1
  grep -E "^(FAILED|ERROR)|[0-9]+ (passed|failed)" "$OUT/cuda_tests.log" | tail -20
fi
if [[ $STAGE == all || $STAGE == bench ]]; then
  (cd benchmarks && timeout "${BENCH_LIMIT:-200}" python3 cuda_graphs.py --out "$OUT") \
    > "$OUT/bench.log" 2>&1
  tail -30 "$OUT/bench.log"
fi
if [[ $STAGE == all || $STAGE == suite ]]; then
  # -v: a run cut by the limit still names what failed
  timeout "${SUITE_LIMIT:-300}" python3 -m pytest -v -p no:cacheprovider -n 15 tests skinvariant \
    --ignore=tests/test_notebooks.py > "$OUT/suite.log" 2>&1
  grep -E "(FAILED|ERROR) " "$OUT/suite.log" | sed 's/^\[gw[0-9]*\] \[ *[0-9]*%\] //' | sort -u
  tail -3 "$OUT/suite.log"
fi
