#!/usr/bin/env bash
# One prepared GPU check (under 8 minutes on one GPU): train the gpu preset, print figures.
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/gpu_check.py --steps "${STEPS:-20000}" --run-dir runs/gpu-check "$@"
