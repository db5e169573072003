"""The `ifr-sim` command line."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ifr_sim.core.config import (
    ConfigError,
    parse_override,
    to_dict,
    with_overrides,
)
from ifr_sim.core.run_store import DATABASE, KINDS, STATUSES, RunStore, UnknownRunError
from ifr_sim.envs.catalog_source import resolved_source, with_resolved_catalog
from ifr_sim.envs.config import (
    DEFAULT_PRESET,
    PRESETS,
    WorldConfig,
    preset_config,
    read_world_file,
)

RUNS_ENV = "IFR_SIM_RUNS"
"""Environment variable with the default run store workspace (else `runs`)."""

EVALUATE_EPISODES = 500
"""The sessions `evaluate` runs without --episodes."""
DEFAULT_AGENT = "random"
"""The agent `evaluate` runs without --agent or --checkpoint."""
SESSION_SPLIT = "heldout"
"""The users and templates `evaluate` and `demo` run without --split or --set split=...:
the held-out ones, which training never sees."""
SCORER_PREFIX = "scorer."
"""`--set` keys with this prefix configure the scorer of a scoring agent, not the world."""

if TYPE_CHECKING:
    from ifr_sim.agents.base import Agent
    from ifr_sim.core.scorer import ScorerConfig
    from ifr_sim.envs.world import World


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `ifr-sim` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except (ConfigError, ValueError, FileNotFoundError, UnknownRunError) as error:
        print(f"ifr-sim {args.command}: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ifr-sim",
        description="Simulate instruction-following recommendation with simulated users.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    simulate = commands.add_parser(
        "simulate", help="run episodes with a policy, print a summary, write the episodes"
    )
    add_world_options(simulate)
    simulate.add_argument("--policy", default="random", help="agent name (default: random)")
    simulate.add_argument("--episodes", type=int, default=100, help="episodes to run")
    simulate.add_argument("--seed", type=int, default=0, help="seed of users, clicks and policy")
    simulate.add_argument(
        "--output",
        type=Path,
        help="JSONL file for the episodes (default: RUNS/episodes.jsonl, in the --runs "
        "workspace)",
    )
    add_runs_option(simulate)
    simulate.set_defaults(run=_simulate)

    evaluate = commands.add_parser(
        "evaluate", help="evaluate an agent on fresh sessions: reward, CTR, NDCG, HR, MRR, ..."
    )
    add_world_options(evaluate, split=SESSION_SPLIT)
    evaluate.add_argument("--agent", help=f"agent name (default: {DEFAULT_AGENT}); a "
                          "scoring agent (zero-shot) also takes --set scorer.KEY=VALUE")
    evaluate.add_argument("--checkpoint", type=Path, metavar="DIR",
                          help="evaluate this trained policy in the world it was trained in: "
                          "a checkpoint directory or the run directory of `ifr-sim train`")
    evaluate.add_argument("--episodes", type=int,
                          help=f"sessions, one per user (default: {EVALUATE_EPISODES})")
    evaluate.add_argument("--seed", type=int, default=0, help="seed of users, clicks and agent")
    evaluate.add_argument("--json", type=Path, help="also write the results as one JSON object")
    evaluate.add_argument(
        "--instructions", type=Path, metavar="FILE.jsonl",
        help="score a labelled instruction set instead of simulated sessions",
    )
    add_runs_option(evaluate)
    evaluate.set_defaults(run=_evaluate)

    train = commands.add_parser("train", help="fine-tune the LLM scorer with PPO")
    train.add_argument("--preset", help="training preset: quick (default), standard, gpu")
    train.add_argument("--config", type=Path, help="TOML/YAML training config file")
    train.add_argument("--seed", type=int, help="seed (overrides the config)")
    train.add_argument("--total-steps", type=int,
                       help="environment steps (overrides the config; with --resume, extends)")
    train.add_argument("--run-dir", type=Path,
                       help="where metrics (progress.csv) and checkpoints go "
                       "(default: RUNS/train, in the --runs workspace)")
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override any training config key, e.g. --set ppo.kl_coef=0.1")
    train.add_argument("--tensorboard", type=Path, metavar="DIR",
                       help="also write TensorBoard events to DIR/RUN_ID (needs tensorboard)")
    train.add_argument("--resume", type=Path, metavar="RUN_DIR",
                       help="continue the stopped or killed run in RUN_DIR from its last "
                       "checkpoint, with its config")
    train.add_argument("--as-new-run", action="store_true",
                       help="with --resume: record the rest of the run as a new run, when "
                       "its own record is not in the run store (deleted, or in another "
                       "workspace)")
    train.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_runs_option(train)
    train.set_defaults(run=_train)

    sweep = commands.add_parser(
        "sweep", help="run a grid or random search of training configs with Ray Tune")
    sweep.add_argument("--config", type=Path, required=True, metavar="SWEEP.toml",
                       help="the sweep file: base config, seeds, [grid] or [random], metric")
    sweep.add_argument("--address", metavar="ADDRESS",
                       help="run on this existing Ray cluster: auto or HOST:PORT of its head "
                       "(from one of its nodes), or ray://HOST:10001 (Ray Client, from any "
                       "machine); default: a local Ray with this machine's cores")
    sweep.add_argument("--storage", metavar="URI",
                       help="where Tune keeps checkpoints and its state: a path or URI "
                       "(s3://..., gs://...) that every node can reach (default: RUNS/sweeps)")
    sweep.add_argument("--max-concurrent", type=int, metavar="N",
                       help="at most N trials at once (default: as many as resources allow)")
    sweep.add_argument("--max-failures", type=int, metavar="N",
                       help="start a failed trial again from its last checkpoint up to N "
                       "times (default: 0)")
    sweep.add_argument("--trial-resources", metavar="NAME=N,...",
                       help="what each trial asks of Ray, e.g. cpu=1,gpu=1 or a custom "
                       "resource of some nodes (default: cpu=1)")
    sweep.add_argument("--ray-dir", type=Path, metavar="DIR",
                       help="Ray's temporary folder for a local Ray (default: RUNS/ray)")
    sweep.add_argument("--ray-dashboard", action="store_true",
                       help="also start Ray's own dashboard (local Ray only)")
    add_runs_option(sweep)
    sweep.set_defaults(run=_sweep)

    runs = commands.add_parser("runs", help="list, show or delete the recorded runs")
    actions = runs.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="every run, newest first")
    listing.add_argument("--kind", choices=KINDS, help="only runs of this kind")
    listing.add_argument("--status", choices=STATUSES, help="only runs with this status")
    show = actions.add_parser("show", help="a run's config, status and last metric values")
    delete = actions.add_parser(
        "delete", help="delete a run's records (never its checkpoint files)")
    for action in (show, delete):
        action.add_argument("run_id", metavar="RUN_ID", help="a run id from `ifr-sim runs list`")
    delete.add_argument("--force", action="store_true",
                        help="delete a run whose recorded process still looks alive (its pid "
                        "reused by another program); a training run in progress is still "
                        "refused")
    for action, handler in ((listing, _runs_list), (show, _runs_show), (delete, _runs_delete)):
        add_runs_option(action)
        action.set_defaults(run=handler)

    demo = commands.add_parser(
        "demo", help="the main job: every agent evaluated on held-out users and templates"
    )
    add_world_options(demo, split=SESSION_SPLIT)
    demo.add_argument("--episodes", type=int, default=300, help="sessions per agent")
    demo.add_argument("--seed", type=int, default=0, help="seed of users, clicks and agents")
    demo.add_argument("--train-steps", type=int, default=2048,
                      help="PPO steps of the short training run (0 skips it)")
    demo.add_argument("--run-dir", type=Path,
                      help="where the demo's training run goes (default: RUNS/demo, in the "
                      "--runs workspace)")
    add_runs_option(demo)
    demo.set_defaults(run=_demo)

    bench = commands.add_parser("bench", help="benchmarks that print figures")
    # One sub-command each, so that an option of one benchmark is refused by another.
    benchmarks = bench.add_subparsers(dest="what", required=True)
    for name, text in (("env", "environment steps per second"),
                       ("scorer", "scoring and encoding rates")):
        timed = benchmarks.add_parser(name, help=text)
        timed.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    scorer_bench = benchmarks.choices["scorer"]
    scorer_bench.add_argument("--arch", help="measure a decoder with the dimensions of this "
                              "model (RANDOM weights: cost only), naive against shared-prefix "
                              "scoring, e.g. qwen2.5-0.5b or llama-3.2-1b")
    scorer_bench.add_argument("--layers", type=int, help="--arch: decoder layers to build "
                              "(default: all on a GPU, 2 on a CPU)")
    scorer_bench.add_argument("--candidates", metavar="N,...", help="--arch: candidates per "
                              "ranking (default: 20,100,500)")
    scorer_bench.add_argument("--device", help="--arch: 'auto', 'cpu' or 'cuda'")
    scorer_bench.add_argument("--json", type=Path, help="--arch: also write the figures here")
    learn = benchmarks.add_parser(
        "learn", help="PPO learning curves against the baselines and the oracle")
    learn.add_argument("--preset", default="standard", help="training preset")
    learn.add_argument("--seeds", type=int, default=3, help="seeds 0..S-1")
    learn.add_argument("--minutes", type=float, help="cap on each seed's training time; a "
                       "seed it stops before the preset's steps is reported as such, since "
                       "where it stops depends on the machine (default: no cap)")
    learn.add_argument("--out", type=Path, help="where runs and learning.json go (default: "
                       "RUNS/bench-learn, in the --runs workspace)")
    learn.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override any training config key")
    learn.add_argument("--instructions", metavar="FILE|none",
                       help="hand-written instruction file the zero-shot and trained scorers "
                       "and plain MiniLM are scored on after each seed (default: "
                       "data/instructions/<catalog>-dev.jsonl of a checkout for MovieLens "
                       "and the synthetic shop; none: skip)")
    add_runs_option(learn)
    language = benchmarks.add_parser(
        "language", help="lexical diversity (distinct-n, self-BLEU) of every instruction "
        "language next to the hand-written sets")
    language.add_argument("--seed", type=int, default=0, help="seed of the sampled intents")
    language.add_argument("--json", type=Path, help="also write the table as JSON")
    soak = benchmarks.add_parser(
        "soak", help="the vector env under a long random load, memory sampled, restarted "
        "sessions checked for leaks")
    soak.add_argument("--users", type=int, default=10_000, help="concurrent users")
    soak.add_argument("--steps", type=int, default=1_000_000, help="user-steps in all")
    fidelity = benchmarks.add_parser(
        "fidelity", help="simulated users against the real raters' held-out behaviour "
        "(docs/fidelity.md)")
    add_world_options(fidelity)
    from ifr_sim.agents.experiments.fidelity.config import SWEPT_WEIGHTS
    from ifr_sim.agents.experiments.fidelity.config import FidelityConfig as Sizes

    fidelity.add_argument("--raters", type=int, help="real raters probed, 0 for all "
                          f"(default: {Sizes.raters})")
    fidelity.add_argument("--sessions", type=int, help="sessions per policy and sweep "
                          f"setting (default: {Sizes.sessions})")
    fidelity.add_argument("--seed", type=int, help="seed of samples, users and clicks")
    for weight in SWEPT_WEIGHTS:
        fidelity.add_argument(f"--sweep-{weight}", metavar="V1,V2,...",
                              help=f"attractiveness.{weight} values of the sweep ('' for none)")
    fidelity.add_argument("--json", type=Path, help="also write the results as one JSON object")
    add_runs_option(fidelity)
    bench.set_defaults(run=_bench)

    dashboard = commands.add_parser(
        "dashboard", help="start the Streamlit dashboard of the recorded runs (Ctrl-C stops it)"
    )
    dashboard.add_argument("--port", type=int, default=8501, help="port (default: 8501)")
    dashboard.add_argument("--host", default="127.0.0.1",
                           help="address to listen on (default: 127.0.0.1, this machine only)")
    add_runs_option(dashboard)
    dashboard.set_defaults(run=_dashboard)

    config = commands.add_parser(
        "config", help="list every world and training key with its value in a preset and its help")
    config.add_argument("--world-preset", default=DEFAULT_PRESET, choices=sorted(PRESETS),
                        help=f"show the world keys' values in this preset "
                        f"(default: {DEFAULT_PRESET})")
    config.add_argument("--train-preset", help="show the training keys' values in this "
                        "training preset (default: the one `ifr-sim train` uses)")
    config.set_defaults(run=_print_config_help)
    return parser


def add_world_options(parser: argparse.ArgumentParser, split: str | None = None) -> None:
    """The world options every command that builds an environment shares.

    Args:
        parser: the command's parser.
        split: the command's own default split, applied by `world_config` when neither
            --split, --set split=... nor a --config file's own `split` gives one (None:
            the world's).
    """
    group = parser.add_argument_group("world")
    group.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        help=f"named world (default: {DEFAULT_PRESET})",
    )
    group.add_argument("--config", type=Path, help="TOML/YAML world config file")
    group.add_argument(
        "--catalog", help="catalog: movielens, synthetic or a CSV/Parquet/JSONL path"
    )
    group.add_argument("--num-candidates", type=int, help="N candidates per session")
    group.add_argument("--slate-size", type=int, help="K items per slate")
    default_split = f"{split}, or the --config file's split" if split else "the world's"
    group.add_argument("--split", choices=["train", "heldout", "all"],
                       help=f"users and templates (default: {default_split})")
    parser.set_defaults(split_default=split)
    group.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override any config key, e.g. --set clicks.model=pbm (repeatable)",
    )


def add_runs_option(parser: argparse.ArgumentParser) -> None:
    """`--runs DIR`: the run store workspace (`DIR/runs.sqlite`)."""
    default = Path(os.environ.get(RUNS_ENV, "runs"))
    parser.add_argument(
        "--runs", type=Path, default=default, metavar="DIR",
        help=f"run store workspace: DIR/runs.sqlite (default: ${RUNS_ENV} if set, else runs)",
    )


def world_config(
    args: argparse.Namespace,
    base: WorldConfig | None = None,
    overrides: Sequence[str] | None = None,
) -> WorldConfig:
    """Preset (or config file, or `base`), then explicit flags, then --set overrides, then
    the command's own default split if neither --split, --set split=... nor the config
    file gave one.

    Flags and overrides are applied together and validated once, as the one world they
    describe. A catalog file's path is made absolute, so records of the run hold a path
    that works from any directory.

    Args:
        args: the parsed world options.
        base: the world to start from instead of `--preset`/`--config`.
        overrides: the `--set` strings to apply (default: all of `args.set`).
    """
    file_keys: frozenset[str] = frozenset()
    if base is None:
        refuse_preset_and_config(args)
        if args.config:
            base, file_keys = read_world_file(args.config)
        else:
            base = preset_config(args.preset or DEFAULT_PRESET)
    flags = {
        "catalog.source": args.catalog,
        "num_candidates": args.num_candidates,
        "slate_size": args.slate_size,
        "split": args.split,
    }
    pairs = {key: value for key, value in flags.items() if value is not None}
    sets = args.set if overrides is None else overrides
    refuse_flag_and_set({"catalog.source": "--catalog", "num_candidates": "--num-candidates",
                         "slate_size": "--slate-size", "split": "--split"}, pairs, sets)
    for text in sets:
        key, value = parse_override(text)
        if key.startswith(SCORER_PREFIX):
            raise ConfigError(
                f"{key} configures a language-model scorer, which `ifr-sim {args.command}` "
                "does not take; `ifr-sim evaluate --agent zero-shot` (or --checkpoint) "
                "does, and `ifr-sim train` takes it in its own --set"
            )
        pairs[key] = value
    if args.split_default is not None and "split" not in file_keys:
        pairs.setdefault("split", args.split_default)
    return with_resolved_catalog(with_overrides(base, pairs))


def scorer_overrides(sets: Sequence[str]) -> tuple[list[str], list[str]]:
    """`--set` strings split into the scorer's (`scorer.KEY=VALUE`) and the world's."""
    scorer = [text for text in sets if text.lstrip().startswith(SCORER_PREFIX)]
    return scorer, [text for text in sets if text not in scorer]


def refuse_preset_and_config(args: argparse.Namespace) -> None:
    """A config file names its own base preset (a top-level `preset` key), so a `--preset`
    given with `--config` would be ignored: refuse the two together."""
    if args.preset and args.config:
        raise ConfigError(
            f"--preset {args.preset} and --config {args.config} both pick the base config; "
            f"put `preset = \"{args.preset}\"` at the top of {args.config} (the file is laid "
            "over that preset), or drop one of them")


def refuse_flag_and_set(
    flags: Mapping[str, str], given: Mapping[str, Any], sets: Sequence[str]
) -> None:
    """Refuse a key given both by its flag and by `--set KEY=VALUE` (one would silently
    override the other).

    Args:
        flags: config key → the flag that sets it (`{"seed": "--seed"}`).
        given: config key → value, of the flags given.
        sets: the `--set` strings.
    """
    for text in sets:
        key = text.partition("=")[0].strip()
        if key in given:
            raise ConfigError(f"{flags[key]} {given[key]} and --set {text.strip()} both set "
                              f"{key}; give it once")


def _simulate(args: argparse.Namespace) -> int:
    from ifr_sim.agents.evaluation.simulation import (
        episode_record,
        run_episodes,
        summarise,
        write_episodes,
    )
    from ifr_sim.agents.registry import make_agent
    from ifr_sim.envs.world import build_world

    if args.episodes < 1:
        raise ConfigError(f"--episodes={args.episodes} is invalid: use at least 1")
    config = world_config(args)
    agent = make_agent(args.policy, build_world(config))
    store = RunStore(args.runs)
    output: Path = args.output or args.runs / "episodes.jsonl"
    run_config = {"world": to_dict(config), "policy": args.policy, "episodes": args.episodes}
    with store.recording("simulate", run_config, args.seed) as run_id:
        episodes = run_episodes(agent, config, args.episodes, args.seed)
        write_episodes(episodes, output)
        summary = summarise(episodes)
        store.log_episodes(run_id, [episode_record(episode) for episode in episodes])
        store.log_metrics(run_id, 0, {f"rollout/{name}": mean
                                      for name, (mean, _) in summary.items()})
    print(f"policy={args.policy} episodes={args.episodes} seed={args.seed}")
    print(f"{'metric':<16}{'mean':>10}{'95% CI':>12}")
    for name, (mean, half) in summary.items():
        print(f"{name:<16}{mean:>10.4f}{'± ' + format(half, '.4f'):>12}")
    print(f"episodes written to {output}; run {run_id} recorded in {store.path}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from ifr_sim.agents.evaluation.online import evaluate, metric_names
    from ifr_sim.agents.evaluation.records import evaluation_run_config, log_evaluation_result
    from ifr_sim.agents.registry import make_agent

    _refuse_session_options(args)
    agent, world, recorded = _evaluated_agent(args)
    if args.instructions:
        return _evaluate_instruction_file(args, world, agent, recorded)
    if args.episodes is None:
        args.episodes = EVALUATE_EPISODES
    config = world.config
    store = RunStore(args.runs)
    run_config = {**evaluation_run_config(config, agent.name, args.episodes,
                                          recorded.pop("checkpoint", None)), **recorded}
    with store.recording("evaluate", run_config, args.seed) as run_id:
        oracle = evaluate(make_agent("oracle", world), config, args.episodes, args.seed)
        if agent.name == "oracle":
            result = oracle
            result["oracle_share"], result["oracle_share_ci95"] = 1.0, 0.0
        else:
            result = evaluate(agent, config, args.episodes, args.seed, oracle["reward"])
        result = log_evaluation_result(
            store, run_id, config, agent.name, result, args.episodes, args.seed)
    _report_evaluation(args, agent.name, result, metric_names(config.slate_size), run_id,
                       store)
    return 0


def _refuse_session_options(args: argparse.Namespace) -> None:
    """Options of simulated sessions that an instruction file would ignore are errors."""
    unused = [flag for flag, value in (("--episodes", args.episodes),
                                       ("--num-candidates", args.num_candidates))
              if value is not None]
    if args.instructions and unused:
        raise ConfigError(
            f"{' and '.join(unused)} do not apply to --instructions: each line of "
            f"{args.instructions} is ranked once, over its own candidates or the whole "
            "catalog; drop them")


def _evaluated_agent(args: argparse.Namespace) -> tuple[Agent, World, dict[str, Any]]:
    """What `evaluate` evaluates (--agent or --checkpoint), in which world, and what its
    run records about the agent besides its name (`checkpoint`, `scorer`)."""
    from ifr_sim.agents.registry import check_agent, make_agent
    from ifr_sim.envs.world import build_world, load_catalog

    scorer_sets, world_sets = scorer_overrides(args.set)
    if args.checkpoint is not None:
        if args.agent is not None:
            raise ConfigError(f"--agent {args.agent} and --checkpoint both say what to "
                              "evaluate; pass one of them")
        return _checkpoint_agent(args, world_sets, scorer_sets)
    config = world_config(args, overrides=world_sets)
    scorer = _scorer_config(scorer_sets)
    name = args.agent or DEFAULT_AGENT
    check_agent(name, scorer is not None)  # before the catalog loads and the world is built
    if args.instructions:
        # Each line is ranked over its own candidates, never over a session's, so a catalog
        # smaller than the default candidate count still evaluates (the catalog is cached).
        size = len(load_catalog(config.catalog))
        config = dataclasses.replace(config, num_candidates=min(config.num_candidates, size))
    world = build_world(config)
    agent = make_agent(name, world, scorer)
    return agent, world, {"scorer": to_dict(scorer)} if scorer is not None else {}


def _scorer_config(scorer_sets: Sequence[str]) -> ScorerConfig | None:
    """The scorer that `--set scorer.KEY=VALUE` strings describe (None: none given).

    Through the training config, so that messages name the keys as written (scorer.KEY).
    """
    if not scorer_sets:
        return None
    from ifr_sim.agents.training.train_config import TrainConfig

    return with_overrides(TrainConfig(), scorer_sets).scorer


def _checkpoint_agent(
    args: argparse.Namespace, world_sets: Sequence[str], scorer_sets: Sequence[str]
) -> tuple[Agent, World, dict[str, Any]]:
    """The checkpoint's policy in the world it was trained in, with the flags checked
    against that world (see `checkpoint_world`); its name is `checkpoint:<directory>`."""
    from ifr_sim.agents.policy.policy_agent import PolicyAgent
    from ifr_sim.agents.training.checkpoint import checkpoint_directory, read_checkpoint
    from ifr_sim.agents.training.checkpoint_world import load_in_world
    from ifr_sim.envs.world import build_world

    checkpoint = read_checkpoint(checkpoint_directory(args.checkpoint))
    own_world = None if args.preset or args.config else checkpoint.config.world
    loaded = load_in_world(checkpoint, world_config(args, own_world, world_sets), scorer_sets)
    if loaded.changed:
        print("evaluated in the checkpoint's world with " + ", ".join(
            f"{key}={now!r} (trained with {trained!r})"
            for key, (trained, now) in loaded.changed.items()))
    directory = str(loaded.directory.resolve())
    agent = PolicyAgent(loaded.policy, name=f"checkpoint:{directory}")
    return agent, build_world(loaded.world), {"checkpoint": directory}


def _report_evaluation(
    args: argparse.Namespace,
    name: str,
    result: dict[str, Any],
    metrics: Sequence[str],
    run_id: str,
    store: RunStore,
) -> None:
    """Print the table, where the run is recorded, and write `--json` if asked."""
    from ifr_sim.core.results import print_results, write_json

    print_results({name: result}, metrics)
    print(f"run {run_id} recorded in {store.path}")
    if args.json:
        write_json(result, args.json)
        print(f"results written to {args.json}")


def _train_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The training config values `train`'s flags give, once the options are checked
    against each other: before the training modules load torch, so that a contradiction
    fails at once."""
    if args.as_new_run and args.resume is None:
        raise ConfigError("--as-new-run goes with --resume RUN_DIR (a new training run is "
                          "always recorded as a new run)")
    if args.resume is not None:
        fixed = {"--preset": args.preset, "--config": args.config, "--seed": args.seed,
                 "--set": args.set, "--run-dir": args.run_dir,
                 "--tensorboard": args.tensorboard}
        given = [flag for flag, value in fixed.items() if value not in (None, [])]
        if given:
            raise ConfigError(
                f"--resume continues the run with the config in its checkpoint; drop "
                f"{', '.join(given)} (only --total-steps may change, to train further)")
        return {}
    refuse_preset_and_config(args)
    flags = {"seed": args.seed, "total_steps": args.total_steps,
             "tensorboard_log": str(args.tensorboard) if args.tensorboard else None}
    values = {key: value for key, value in flags.items() if value is not None}
    refuse_flag_and_set({"seed": "--seed", "total_steps": "--total-steps",
                         "tensorboard_log": "--tensorboard"}, values, args.set)
    return values


def _train(args: argparse.Namespace) -> int:
    flags = _train_flags(args)
    from ifr_sim.agents.training.train_config import (
        DEFAULT_TRAIN_PRESET,
        load_train_config,
        train_preset,
    )

    config = None
    if args.resume is None:  # checked before the modules that load torch are imported
        config = (load_train_config(args.config) if args.config
                  else train_preset(args.preset or DEFAULT_TRAIN_PRESET))
        config = with_overrides(config, flags)
        config = with_overrides(config, args.set)
        # Recorded with an absolute catalog path, which works from any directory.
        config = with_overrides(config, {"world.catalog.source": resolved_source(
            config.world.catalog.source)})
    from ifr_sim.agents.evaluation.online import headline_metrics
    from ifr_sim.agents.training.recorded_training import (
        interruption,
        resume_recorded,
        train_recorded,
    )

    store = RunStore(args.runs)
    progress_bar = not args.no_progress
    run_dir: Path = args.resume or args.run_dir or args.runs / "train"
    try:
        if config is None:
            summary, run_id = resume_recorded(run_dir, store, args.total_steps, progress_bar,
                                              args.as_new_run)
        else:
            preset = args.preset or (None if args.config else DEFAULT_TRAIN_PRESET)
            summary, run_id = train_recorded(config, run_dir, store, progress_bar, preset)
    except KeyboardInterrupt as stop:
        print(f"ifr-sim train: {interruption(stop, run_dir)}", file=sys.stderr)
        return 130
    final = summary["final"]
    trained = summary["steps"] - (summary["resumed_from"] or 0)
    if summary["resumed_from"] is not None and not trained:
        print(f"the run had finished at step {summary['steps']:,}: nothing to train "
              "(--total-steps N trains it further)")
    else:
        if summary["resumed_from"] is not None:
            print(f"resumed at step {summary['resumed_from']:,}")
        print(f"trained {trained:,} steps in {summary['seconds']:.0f} s "
              f"({summary['steps_per_second']:.0f} steps/s; rollouts "
              f"{summary['rollout_steps_per_second']:.0f} steps/s, updates "
              f"{summary['update_steps_per_second']:.0f} steps/s); "
              f"{summary['steps']:,} in all")
    for name in headline_metrics(final):
        print(f"held-out {name:<22}{final[name]:.4f} ± {final[name + '_ci95']:.4f}")
    print(f"metrics: {run_dir / 'progress.csv'}; checkpoint: {summary['checkpoint']}")
    print(f"run {run_id} recorded in {store.path}")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from ifr_sim.agents.experiments.sweep import RayOptions, parse_resources, run_sweep
    from ifr_sim.agents.experiments.sweep_results import summary_lines
    from ifr_sim.agents.experiments.sweep_spec import load_sweep

    local_only = [flag for flag, value in (("--ray-dir", args.ray_dir),
                                           ("--ray-dashboard", args.ray_dashboard)) if value]
    if args.address and local_only:
        raise ConfigError(f"{' and '.join(local_only)} set up a local Ray, which --address "
                          f"{args.address} does not start (the cluster has its own): drop "
                          "one or the other")
    spec = load_sweep(args.config)
    given = {"address": args.address, "storage": args.storage,
             "max_concurrent": args.max_concurrent, "max_failures": args.max_failures,
             "ray_dir": args.ray_dir, "ray_dashboard": args.ray_dashboard or None}
    if args.trial_resources is not None:
        given["trial_resources"] = parse_resources(args.trial_resources)
    options = RayOptions(**{key: value for key, value in given.items() if value is not None})
    sweep_run, outcomes = run_sweep(spec, args.runs, options)
    store = RunStore(args.runs)
    lines = summary_lines(store, spec.name)
    print("\n".join(lines))
    for outcome in outcomes:
        if outcome.status == "failed":
            print(f"failed: {outcome.trial.label} seed={outcome.trial.seed} "
                  f"({outcome.run_id}): {outcome.error}")
    print(f"sweep run {sweep_run} and its trials recorded in {store.path}")
    return 0 if any(outcome.status != "failed" for outcome in outcomes) else 1


def _evaluate_instruction_file(
    args: argparse.Namespace, world: World, agent: Agent, recorded: dict[str, Any]
) -> int:
    """Rank each labelled line's candidates (or the whole catalog) with `agent`."""
    from ifr_sim.agents.evaluation.instruction_set import (
        evaluate_instructions,
        read_instruction_file,
    )

    if agent.name == "oracle":
        raise ValueError("the oracle needs the simulator's ground truth, which an instruction "
                         "file does not have; pick another --agent")
    loaded = read_instruction_file(args.instructions, world.catalog)
    notice = loaded.ignored_notice(args.instructions)
    if notice:
        print(f"ifr-sim evaluate: warning: {notice}", file=sys.stderr)
    records = loaded.records
    instructions = str(args.instructions.resolve())
    store = RunStore(args.runs)
    run_config = {"world": to_dict(world.config), "agent": agent.name, **recorded,
                  "instructions": instructions, "episodes": len(records)}
    with store.recording("evaluate", run_config, args.seed) as run_id:
        result: dict[str, Any] = evaluate_instructions(
            agent, records, world.config.instruction_bytes, world.config.history_length,
            args.seed
        )
        metrics = [k for k in result if not k.endswith("_ci95")]
        result.update(agent=agent.name, instructions=instructions, episodes=len(records))
        store.log_result(run_id, 0, result, metrics)
    _report_evaluation(args, agent.name, result, metrics, run_id, store)
    return 0


def _demo(args: argparse.Namespace) -> int:
    config = world_config(args)  # checked before the demo's imports load torch
    from ifr_sim.apps.demo import run_demo

    run_demo(config, args.episodes, args.seed, args.train_steps,
             args.run_dir or args.runs / "demo", RunStore(args.runs))
    return 0


def _bench(args: argparse.Namespace) -> int:
    if args.what == "env":
        from ifr_sim.envs.benchmark import run_env_benchmark

        run_env_benchmark(seconds=args.seconds)
    elif args.what == "learn":
        from ifr_sim.agents.training.train_config import train_preset

        config = with_overrides(train_preset(args.preset), args.set)
        from ifr_sim.agents.experiments.learning_benchmark import run_learning_benchmark
        from ifr_sim.agents.experiments.transfer import default_instruction_set

        instructions = (None if args.instructions == "none" else
                        Path(args.instructions) if args.instructions
                        else default_instruction_set(config.world))
        if not args.instructions and instructions is not None and not instructions.is_file():
            raise ConfigError(
                f"bench learn scores transfer on {instructions}, which is not here (the "
                "hand-written sets are read from a checkout of the repository): run from "
                "the checkout's root, or pass --instructions FILE, or --instructions none")
        run_learning_benchmark(config, list(range(args.seeds)), args.minutes,
                               args.out or args.runs / "bench-learn", RunStore(args.runs),
                               instructions)
    elif args.what == "language":
        from ifr_sim.apps.language_benchmark import run_language_benchmark

        run_language_benchmark(args.seed, args.json)
    elif args.what == "fidelity":
        from ifr_sim.apps.fidelity_bench import run_fidelity_command

        return run_fidelity_command(args)
    elif args.what == "soak":
        from ifr_sim.envs.soak import report, run_soak

        result = run_soak(users=args.users, user_steps=args.steps)
        report(result, args.users)
        return 1 if result.leaks else 0
    else:
        from ifr_sim.apps.scorer_benchmark import run_scorer_command

        return run_scorer_command(args)
    return 0


def _runs_list(args: argparse.Namespace) -> int:
    # Reading must not create a workspace where there is none.
    exists = (Path(args.runs) / DATABASE).is_file()
    records = RunStore(args.runs).runs(args.kind, args.status) if exists else []
    if not records:
        print(f"no runs in {args.runs}")
        return 0
    print(f"{'id':<33}{'kind':<10}{'status':<10}{'seed':>6}  started (UTC)")
    for run in records:
        seed = "" if run.seed is None else run.seed
        print(f"{run.id:<33}{run.kind:<10}{run.status:<10}{seed:>6}  {run.started_at}")
    return 0


def _runs_show(args: argparse.Namespace) -> int:
    store = RunStore(args.runs)
    run = store.run(args.run_id)
    fields: dict[str, Any] = {
        "id": run.id, "kind": run.kind, "status": run.status, "seed": run.seed,
        "started": run.started_at, "ended": run.ended_at, "directory": run.directory,
        "checkpoint": run.checkpoint, "error": run.error,
    }
    for name, value in fields.items():
        if value is not None:
            print(f"{name:<12}{value}")
    print("config")
    print(json.dumps(run.config, indent=2))
    last = {key: (step, value) for step, key, value in store.metrics(run.id)}  # by key, step
    print(f"metrics (last value of {len(last)})" if last else "metrics: none recorded")
    for key, (step, value) in last.items():
        print(f"  {key:<32}{value:>14.6g}  (step {step})")
    return 0


def _runs_delete(args: argparse.Namespace) -> int:
    from ifr_sim.agents.training.run_lock import RunDirectoryBusyError, idle_run_directory

    store = RunStore(args.runs)
    run = store.run(args.run_id)
    pid = None if args.force or run.directory else run.live_pid()
    if pid is not None:
        raise ConfigError(
            f"run {run.id} ({run.kind}) is still running in process {pid} on this machine; "
            f"deleting its record now would lose what it has yet to write: let it finish, "
            f"or stop it (`kill {pid}`), then delete the run; if process {pid} is not "
            "ifr-sim (the run's own process died and its pid was reused), pass --force"
        )
    try:  # holding the run directory's lock: no training can start in it meanwhile
        with idle_run_directory(Path(run.directory)) if run.directory else nullcontext():
            store.delete_run(run.id)
    except RunDirectoryBusyError as busy:
        raise ConfigError(
            f"run {run.id} is still training in {run.directory} (pid {busy.pid}); deleting "
            f"its record would end it: stop it first (Ctrl-C in its terminal, or `kill "
            f"{busy.pid}`, saves a checkpoint), then delete the run"
        ) from None
    print(f"deleted run {run.id}: its record, metrics, episodes and evaluations")
    if run.checkpoint:
        print(f"checkpoint files are never deleted: {run.checkpoint} is still there")
    return 0


def dashboard_argv(host: str, port: int) -> list[str]:
    """The `streamlit run` command line of the dashboard app, in this interpreter."""
    import ifr_sim.dashboards

    app = Path(ifr_sim.dashboards.__file__).with_name("app.py")
    return [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.address", host,
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
    ]


def _dashboard(args: argparse.Namespace) -> int:
    print(f"dashboard of {args.runs} at http://{args.host}:{args.port} (Ctrl-C stops it)")
    environment = {**os.environ, RUNS_ENV: str(args.runs.resolve())}
    try:
        return subprocess.call(dashboard_argv(args.host, args.port), env=environment)
    except KeyboardInterrupt:
        return 0


def _print_config_help(args: argparse.Namespace) -> int:
    from ifr_sim.agents.training.train_config import DEFAULT_TRAIN_PRESET
    from ifr_sim.apps.config_keys import config_lines

    print("\n".join(config_lines(args.world_preset, args.train_preset or DEFAULT_TRAIN_PRESET)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
