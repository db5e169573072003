#!/usr/bin/env bash
# One prepared GPU check (about 8 minutes on one GPU): the gpu preset with the MiniLM
# bi-encoder and with a RANDOM-weight decoder, then the decoder's scoring cost, naive
# against shared-prefix. Figures printed and written to runs/gpu-check/results.json.
# Rehearsal on a CPU (a minute or two):
#   STEPS=64 DECODER_STEPS=64 EPISODES=8 ARCH=tiny-llama scripts/gpu_check.sh \
#     --set ppo.n_envs=4 --set ppo.batch_size=16 --set world.num_candidates=20 \
#     --set world.catalog.source=synthetic --set world.catalog.size=200
set -euo pipefail
cd "$(dirname "$0")/.."
"${PYTHON:-python}" scripts/gpu_check.py --steps "${STEPS:-10240}" \
  --episodes "${EPISODES:-300}" --arch "${ARCH:-qwen2.5-0.5b}" \
  --decoder-steps "${DECODER_STEPS:-1024}" --run-dir runs/gpu-check \
  --json runs/gpu-check/results.json "$@"
