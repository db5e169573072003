"""A mistyped `ifr-sim` command fails at once: its arguments are checked before torch loads.

Importing torch and transformers takes seconds, so the command line imports them only in
the commands and agents that use them, after their options are checked. Each case runs
in its own process, which starts without torch, and reports whether it imported it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPORT_TORCH = """
import sys
from ifr_sim.apps.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as stop:
    code = stop.code
print("torch imported" if "torch" in sys.modules else "torch not imported")
raise SystemExit(code)
"""


def ifr_sim(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`ifr-sim ARGS` in its own process; stdout ends with whether it imported torch."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "IFR_SIM_CACHE_DIR": "off"}
    return subprocess.run([sys.executable, "-c", REPORT_TORCH, *args, "--runs", "ws"],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_importing_the_command_line_does_not_import_torch() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import sys, ifr_sim.apps.cli; assert 'torch' not in "
         "sys.modules, sorted(m for m in sys.modules if m.startswith('ifr_sim'))"],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["evaluate", "--bogus"], "unrecognized arguments: --bogus"),
        (["evaluate", "--set", "nosuch=1"], "unknown config key 'nosuch'"),
        (["evaluate", "--split", "train", "--set", "split=all"],
         "--split train and --set split=all both set split"),
        (["simulate", "--set", "nosuch=1"], "unknown config key 'nosuch'"),
        (["demo", "--set", "nosuch=1"], "unknown config key 'nosuch'"),
        (["train", "--seed", "1", "--set", "seed=2"], "--seed 1 and --set seed=2 both set seed"),
        (["train", "--resume", "somewhere", "--seed", "1"],
         "--resume continues the run with the config in its checkpoint; drop --seed"),
        (["train", "--as-new-run"], "--as-new-run goes with --resume RUN_DIR"),
        (["train", "--set", "nosuch=1"], "unknown config key 'nosuch'"),
        (["train", "--set", "scorer.lora_rank=0"], "scorer.lora_rank=0 is invalid"),
        (["evaluate", "--agent", "zero-shot", "--set", "scorer.nosuch=1"],
         "unknown config key 'scorer.nosuch'"),
        (["bench", "learn", "--set", "nosuch=1"], "unknown config key 'nosuch'"),
        (["evaluate", "--agent", "nosuch"], "unknown agent 'nosuch'; choose one of"),
        (["evaluate", "--agent", "random", "--set", "scorer.max_length=64"],
         "agent 'random' has no language-model scorer"),
    ],
)
def test_a_bad_option_is_refused_before_torch_is_imported(
    tmp_path: Path, argv: list[str], message: str
) -> None:
    result = ifr_sim(tmp_path, *argv)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert message in result.stderr
    assert result.stdout.splitlines()[-1] == "torch not imported"
