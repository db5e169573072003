#!/usr/bin/env bash
# Check the layers contract in pyproject.toml with import-linter.
#
# import-linter finds a package's modules by walking its folder, but `envs/`, `agents/` and
# `dashboards/` are installed as `ifr_sim.envs`, `ifr_sim.agents` and `ifr_sim.dashboards`
# from the top level. So the check runs on a view of the installed layout: a temporary
# `ifr_sim/` whose entries link to the real folders.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
view=$(mktemp -d)
trap 'rm -rf "$view"' EXIT
mkdir "$view/ifr_sim"
for entry in "$root"/ifr_sim/*; do ln -s "$entry" "$view/ifr_sim/"; done
for sub in envs agents dashboards; do ln -s "$root/$sub" "$view/ifr_sim/$sub"; done
cd "$view"
PYTHONPATH="$view" "${LINT_IMPORTS:-$root/.venv/bin/lint-imports}" "$root/pyproject.toml" --no-cache "$@"
