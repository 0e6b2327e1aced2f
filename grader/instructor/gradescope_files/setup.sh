#!/usr/bin/env bash
# Gradescope runs this once, as root and with network, when it builds the autograder's image
# (Ubuntu). Everything grading needs goes into the image here, so grading itself needs no network:
# Python's venv, PyTorch 2.13.0 (the CPU build, from PyTorch's CPU-only index, as `make setup`
# does: PyPI's Linux build pulls gigabytes of CUDA packages), the grader with its checks and
# reference solutions (this zip's copy, installed editable so the grading kernels import the same
# course library as the grader), Fashion-MNIST, and an unprivileged user that grading runs as.
set -euo pipefail

ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
VENV="$ROOT/venv"
DATA="$ROOT/fashion-mnist"
TORCH_VERSION="2.13.0"
TORCH_INDEX="https://download.pytorch.org/whl/cpu"
GRADING_USER="convnet-student"

echo "== system packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
  || { echo "setup.sh: the grader needs Python >= 3.10; choose Ubuntu 22.04 or later as the base image" >&2; exit 1; }

echo "== Python environment in $VENV"
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q "torch==$TORCH_VERSION" --index-url "$TORCH_INDEX"
"$VENV/bin/python" -m pip install -q -e "$SOURCE[grading,instructor]"
# torchvision only where a build matching torch imports (recorded; the grader's notes say why not);
# the CPU index offers the build that matches the CPU torch
PIP_EXTRA_INDEX_URL="$TORCH_INDEX" "$VENV/bin/python" -m grader.setup_environment --verbose

echo "== Fashion-MNIST in $DATA"
mkdir -p "$DATA"
if [ -d "$SOURCE/fashion-mnist" ]; then
  cp -a "$SOURCE/fashion-mnist/." "$DATA/"     # bundled by `gradescope --data DIR`
fi
"$VENV/bin/python" -m d2l.fashion_mnist_fetch --dir "$DATA"   # checks the bundle, downloads what is missing

echo "== the unprivileged user grading runs as"
if ! id -u "$GRADING_USER" >/dev/null 2>&1; then
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$GRADING_USER"
fi
# The grading user reads the grader, the environment and the data; it owns none of them.
chown -R root:root "$SOURCE" "$VENV" "$DATA"
chmod -R a+rX,go-w "$SOURCE" "$VENV" "$DATA"

echo "== check: the grader imports and finds the course library it installed"
cd "$SOURCE"
"$VENV/bin/python" -c "import torch, grader.conftest, solutions, d2l; print('torch', torch.__version__)"
echo "setup.sh: done"
