"""rlvrgym bench: the statistics, the runner and its run directory, failures recorded not raised, compare, CLI."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest

from rlvrgym.bench import BenchConfig, load_summary, read_episodes, run_bench
from rlvrgym.bench.compare import compare_runs
from rlvrgym.bench.metrics import (
    clustered_rate,
    mean_interval,
    paired_bootstrap,
    pass_at_k,
    pass_at_k_curve,
    wilson_interval,
)
from rlvrgym.bench.policies import AdversaryPolicy, CallablePolicy, OraclePolicy, make_policy
from rlvrgym.bench.policies.base import PolicyContractError
from rlvrgym.cli import main
from rlvrgym.verifiers.verdict import Verdict
from tests import test_sandbox_fixtures as fixtures

docker_ready = fixtures.docker_ready
PNG = b"\x89PNG\r\n\x1a\n"


# -- policies used through `py:tests.test_bench:<name>` -------------------------------------------------------------
def always_zero(observations: list[str]) -> list[str]:
    return ["The final answer is $\\boxed{0}$."] * len(observations)


def crashes(observations: list[str]) -> list[str]:
    raise ConnectionError("the model server went away")


def too_few(observations: list[str]) -> list[str]:
    return observations[:-1]


def always_call_the_simulator(observations: list[str]) -> list[str]:
    return ['<simulate family="projectile">{"v0": 10.0, "angle_deg": 30.0}</simulate>'] * len(observations)


# -- statistics -------------------------------------------------------------------------------------------------------
def brute_pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that a random k-subset of n samples holds a correct one, by enumeration."""
    items = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(range(n), k))
    return sum(any(items[i] for i in s) for s in subsets) / len(subsets)


@pytest.mark.parametrize(("n", "c", "k"), [(5, 0, 1), (5, 1, 1), (5, 2, 3), (6, 3, 2), (8, 1, 8), (7, 6, 1), (4, 4, 2)])
def test_pass_at_k_is_the_unbiased_estimator(n: int, c: int, k: int) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(brute_pass_at_k(n, c, k))


def test_pass_at_k_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError, match="c <= n"):
        pass_at_k(3, 4, 1)
    with pytest.raises(ValueError, match="k <= n"):
        pass_at_k(3, 1, 4)


def test_pass_at_k_curve_rises_with_k() -> None:
    curve = pass_at_k_curve([[True, False, False, False], [False, False, False, False], [True, True, False, True]])
    assert list(curve) == [1, 2, 3, 4]
    assert curve[1] == pytest.approx((0.25 + 0 + 0.75) / 3)
    assert all(curve[k] <= curve[k + 1] for k in (1, 2, 3)) and curve[4] == pytest.approx(2 / 3)


def test_wilson_interval_matches_the_textbook_values() -> None:
    low, high = wilson_interval(0, 10)  # Wilson 0/10: [0, 0.2775]
    assert low == 0 and high == pytest.approx(0.2775, abs=1e-4)
    low, high = wilson_interval(81, 263)  # Wilson (1927)-style example: 0.3080 [0.2553, 0.3662]
    assert (low, high) == (pytest.approx(0.2553, abs=1e-4), pytest.approx(0.3662, abs=1e-4))
    low, high = wilson_interval(200, 200)
    assert 0.98 < low < 1 and high == 1


def test_repeated_samples_of_one_task_do_not_narrow_the_interval() -> None:
    # every task is either always solved or never: 4 samples carry no more information than 1
    per_task = [[1.0] * 4 if i % 2 else [0.0] * 4 for i in range(40)]
    clustered = clustered_rate(per_task)
    assert clustered["n"] == 160 and clustered["n_eff"] == pytest.approx(40)
    assert (clustered["ci_low"], clustered["ci_high"]) == pytest.approx(wilson_interval(20, 40))
    # independent samples (each task half solved) keep the full size
    mixed = clustered_rate([[1.0, 0.0, 1.0, 0.0] for _ in range(40)])
    assert mixed["n_eff"] == 160


def test_mean_interval_is_a_t_interval_over_tasks_clipped_to_the_observed_range() -> None:
    values = [[0.4, 0.6], [0.5], [0.45], [0.55], [0.0, 1.0]]  # per-task means 0.5, 0.5, 0.45, 0.55, 0.5
    m = mean_interval(values)
    sd = np.std([0.5, 0.5, 0.45, 0.55, 0.5], ddof=1)
    assert m["mean"] == pytest.approx(3.5 / 7)
    assert m["ci_high"] - m["mean"] == pytest.approx(2.776445 * sd / math.sqrt(5), rel=1e-5)
    wide = mean_interval([[0.0], [1.0], [0.5], [0.25]])  # the t interval would reach past 1
    assert wide["ci_high"] == 1.0 and wide["ci_low"] == 0.0


def test_paired_bootstrap_finds_a_real_difference_and_not_a_null_one() -> None:
    rng = np.random.default_rng(1)
    a = rng.random(100)
    better = paired_bootstrap(a, a + 0.05, resamples=2000)
    assert better["significant"] and better["diff"] == pytest.approx(0.05) and better["p_value"] < 0.01
    same = paired_bootstrap(a, a, resamples=2000)
    assert not same["significant"] and same["diff"] == 0 and same["p_value"] == 1.0
    noise = paired_bootstrap(a, rng.permutation(a), resamples=2000)
    assert noise["ci_low"] < 0 < noise["ci_high"]
    with pytest.raises(ValueError, match="equal"):
        paired_bootstrap([1.0], [1.0, 2.0])


# -- the runner -------------------------------------------------------------------------------------------------------
def test_sanity_run_writes_every_file_and_scores_as_expected(tmp_path: Path) -> None:
    config = BenchConfig(envs=["MathAnswer-v0"], episodes=9, samples=1, seed=3, batch_size=4)
    oracle = run_bench(OraclePolicy(), config, run_dir=tmp_path / "oracle")
    adversary = run_bench(AdversaryPolicy(), config, run_dir=tmp_path / "adversary")
    for result, expected in ((oracle, 1.0), (adversary, 0.0)):
        run = result.run_dir
        assert {p.name for p in run.iterdir()} == {"episodes.jsonl", "summary.json", "report.md", "plots"}
        for png in ("reward_distribution.png", "pass_at_k.png", "success_by_difficulty.png"):
            assert (run / "plots" / png).read_bytes()[:8] == PNG
        records = read_episodes(run)
        assert len(records) == 9 and [r["seed"] for r in records] == list(range(3, 12))
        for r in records:
            assert r["prompt"] and r["completion"] is not None and r["verdict"]["status"] in r["status"]
            assert set(r["reward_breakdown"]) >= {"outcome", "total"} and r["steps"] == 1
            assert r["reward"] == expected and r["policy_s"] >= 0 and r["verify_s"] > 0
        m = load_summary(run)["envs"]["MathAnswer-v0"]
        assert m["success"]["rate"] == expected and m["reward"]["mean"] == expected
        assert m["sanity"]["ok"] and m["pass_at_k"] == {"1": expected}
        assert sum(m["statuses"].values()) == 9 and m["latency_s"]["verifier"]["p99"] > 0
        report = (run / "report.md").read_text()
        assert "| MathAnswer-v0 |" in report and "![pass_at_k](plots/pass_at_k.png)" in report
        assert "Sanity check on MathAnswer-v0: passed" in report
    # the adversary played a different attack on each episode, and the log says which
    attacks = [r["policy_info"]["attack"] for r in read_episodes(adversary.run_dir)]
    assert len(set(attacks)) == 9 and "echo_question" in attacks
    # the same seeds drew the same tasks for both policies
    assert [r["task_id"] for r in oracle.records] == [r["task_id"] for r in adversary.records]


def test_summary_records_what_reproduces_the_run(tmp_path: Path) -> None:
    config = BenchConfig(envs=["PhysicsSim-v0"], episodes=2, env_kwargs={"PhysicsSim-v0": {"difficulty": 2}},
                         plots=False)
    result = run_bench(make_policy("py:tests.test_bench:always_zero"), config, run_dir=tmp_path / "run")
    s = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert s["config"]["seed"] == 0 and s["config"]["env_kwargs"] == {"PhysicsSim-v0": {"difficulty": 2}}
    assert s["environments"]["PhysicsSim-v0"]["kwargs"] == {"split": "test", "difficulty": 2}
    assert s["environments"]["PhysicsSim-v0"]["reward_spec"]["process_weight"] == 0.2
    assert s["policy"]["settings"] == {"kind": "callable", "target": "tests.test_bench:always_zero", "batched": True}
    assert s["provenance"]["packages"]["rlvrgym"] and s["provenance"]["packages"]["numpy"] == np.__version__
    assert s["sandbox_image"] is None  # no environment of this run uses the sandbox
    assert {r["difficulty"] for r in result.records} == {2} and not (tmp_path / "run" / "plots").exists()


def test_one_task_has_no_reward_interval_and_the_summary_is_strict_json(tmp_path: Path) -> None:
    run_bench(OraclePolicy(), BenchConfig(envs=["MathAnswer-v0"], episodes=1, plots=False), run_dir=tmp_path / "r")
    text = (tmp_path / "r" / "summary.json").read_text()
    assert "NaN" not in text
    reward = json.loads(text)["envs"]["MathAnswer-v0"]["reward"]
    assert reward == {"mean": 1.0, "ci_low": None, "ci_high": None}
    assert "1.000 [-]" in (tmp_path / "r" / "report.md").read_text()


def test_samples_replay_each_task_and_give_pass_at_k(tmp_path: Path) -> None:
    coin = iter(np.random.default_rng(0).random(10_000))

    def sometimes_right(observations: list[str]) -> list[str]:
        return ["The final answer is $\\boxed{0}$." if next(coin) < 0.5 else "no idea" for _ in observations]

    policy = CallablePolicy("sometimes_right", fn=sometimes_right)
    config = BenchConfig(envs=["MathAnswer-v0"], episodes=3, samples=4, batch_size=5, plots=False)
    result = run_bench(policy, config, run_dir=tmp_path / "run")
    by_task: dict[int, set[str]] = {}
    for r in result.records:
        by_task.setdefault(r["task_index"], set()).add(r["task_id"])
    assert sorted(by_task) == [0, 1, 2] and all(len(ids) == 1 for ids in by_task.values())
    m = result.summary["envs"]["MathAnswer-v0"]
    assert list(m["pass_at_k"]) == ["1", "2", "3", "4"] and m["samples_per_task"] == 4
    assert m["statuses"].get("unparseable", 0) > 0  # "no idea" is judged by the verifier, not by the runner


def test_a_failing_policy_is_recorded_not_raised(tmp_path: Path) -> None:
    config = BenchConfig(envs=["MathAnswer-v0"], episodes=3, plots=False)
    result = run_bench(make_policy("py:tests.test_bench:crashes"), config, run_dir=tmp_path / "run")
    assert [r["status"] for r in result.records] == ["policy_error"] * 3
    assert all("ConnectionError: the model server went away" in r["error"] for r in result.records)
    m = result.summary["envs"]["MathAnswer-v0"]
    assert m["success"]["rate"] == 0 and m["statuses"] == {"policy_error": 3}
    assert "policy_error" in (tmp_path / "run" / "report.md").read_text()


def test_a_policy_breaking_the_contract_stops_the_run_with_a_clear_error(tmp_path: Path) -> None:
    config = BenchConfig(envs=["MathAnswer-v0"], episodes=2, plots=False)
    with pytest.raises(PolicyContractError, match="returned 1 completions for 2 observations"):
        run_bench(make_policy("py:tests.test_bench:too_few"), config, run_dir=tmp_path / "run")


def test_multi_turn_episodes_run_until_the_environment_ends_them(tmp_path: Path) -> None:
    config = BenchConfig(envs=["PhysicsSim-v0"], episodes=2, env_kwargs={"PhysicsSim-v0": {"tool_calls": 1}},
                         plots=False)
    result = run_bench(make_policy("py:tests.test_bench:always_call_the_simulator"), config, run_dir=tmp_path / "r")
    for r in result.records:
        assert r["steps"] == 2 and r["turns"][0]["observation"].startswith("simulator:")
        assert r["turns"][0]["status"] is None and r["status"] == "unparseable"
    assert result.summary["envs"]["PhysicsSim-v0"]["steps_mean"] == 2


def test_bad_configuration_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="episodes and samples"):
        BenchConfig(envs=["MathAnswer-v0"], episodes=0)
    with pytest.raises(ValueError, match="not in the run"):
        BenchConfig(envs=["MathAnswer-v0"], env_kwargs={"PhysicsSim-v0": {}})
    with pytest.raises(ValueError, match="unknown policy 'gpt4'"):
        make_policy("gpt4")
    with pytest.raises(ValueError, match="cannot import the policy module 'gpt'"):
        make_policy("gpt:4")
    with pytest.raises(ValueError, match="unknown option 'temprature'"):
        make_policy("openai:m", {"temprature": "0.5"})
    with pytest.raises(ValueError, match="unknown environment 'Nope-v0'"):
        run_bench(OraclePolicy(), BenchConfig(envs=["Nope-v0"], episodes=1))


class Permissive:
    """A broken verifier that accepts everything, and one that accepts nothing."""

    name = "math"

    def __init__(self, accept: bool) -> None:
        self.accept = accept

    def verify(self, completion: str, reference: object) -> Verdict:
        return Verdict.right("anything goes") if self.accept else Verdict.wrong("nothing goes")


def test_sanity_policies_catch_false_positives_and_false_negatives(tmp_path: Path) -> None:
    def config(accept: bool) -> BenchConfig:
        return BenchConfig(envs=["MathAnswer-v0"], episodes=5, plots=False,
                           env_kwargs={"MathAnswer-v0": {"verifier": Permissive(accept)}})

    fooled = run_bench(AdversaryPolicy(), config(True), run_dir=tmp_path / "adversary")
    sanity = fooled.summary["envs"]["MathAnswer-v0"]["sanity"]
    # the fifth attack, overlong padding, is stopped by the environment's length limit before the verifier
    assert not fooled.sanity_ok and sanity["offender_count"] == 4
    assert [r["status"] for r in fooled.records if r["policy_info"]["attack"] == "overlong_padding"] == ["unparseable"]
    assert sanity["offenders"][0]["reason"] == "anything goes" and sanity["offenders"][0]["policy_info"]["attack"]
    assert "FAILED on 4 episode(s)" in (tmp_path / "adversary" / "report.md").read_text()
    strict = run_bench(OraclePolicy(), config(False), run_dir=tmp_path / "oracle")
    assert not strict.sanity_ok and strict.summary["envs"]["MathAnswer-v0"]["success"]["rate"] == 0


# -- compare and the command line -------------------------------------------------------------------------------------
def test_compare_pairs_tasks_and_tests_the_difference(tmp_path: Path) -> None:
    config = BenchConfig(envs=["MathAnswer-v0"], episodes=12, plots=False)
    run_bench(make_policy("py:tests.test_bench:always_zero"), config, run_dir=tmp_path / "zero")
    run_bench(OraclePolicy(), config, run_dir=tmp_path / "oracle")
    result = compare_runs(tmp_path / "zero", tmp_path / "oracle", resamples=2000)
    env = result["envs"]["MathAnswer-v0"]
    assert env["paired_tasks"] == 12
    success = env["metrics"]["success"]
    assert success["b"] == 1.0 and success["diff"] == pytest.approx(1.0 - success["a"]) and success["significant"]
    same = compare_runs(tmp_path / "oracle", tmp_path / "oracle", resamples=500)["envs"]["MathAnswer-v0"]
    assert not same["metrics"]["reward"]["significant"] and same["metrics"]["reward"]["diff"] == 0
    other = BenchConfig(envs=["MathAnswer-v0"], episodes=2, seed=10_000, plots=False)
    run_bench(OraclePolicy(), other, run_dir=tmp_path / "elsewhere")
    with pytest.raises(ValueError, match="no task in common"):
        compare_runs(tmp_path / "oracle", tmp_path / "elsewhere")


def test_cli_bench_and_compare(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    args = ["bench", "--env", "MathAnswer-v0", "--episodes", "4", "--no-plots"]
    assert main([*args, "--policy", "oracle", "--run-dir", str(a)]) == 0
    assert main([*args, "--policy", "py:tests.test_bench:always_zero", "--run-dir", str(b)]) == 0
    out = capsys.readouterr().out
    assert "MathAnswer-v0" in out and "oracle" in out and str(a) in out
    assert main(["bench", "compare", str(a), str(b), "--json", str(tmp_path / "c.json"),
                 "--plot", str(tmp_path / "c.png"), "--resamples", "500"]) == 0
    out = capsys.readouterr().out
    assert "paired bootstrap" in out and "success" in out
    assert json.loads((tmp_path / "c.json").read_text())["envs"]["MathAnswer-v0"]["paired_tasks"] == 4
    assert (tmp_path / "c.png").read_bytes()[:8] == PNG
    with pytest.raises(SystemExit, match="sanity policies take none"):
        main([*args, "--policy", "oracle", "--policy-option", "temperature=1"])
    with pytest.raises(SystemExit, match="KEY=VALUE"):
        main([*args, "--policy", "py:tests.test_bench:always_zero", "--policy-option", "batched"])


# -- every registered environment -----------------------------------------------------------------------------------
@pytest.mark.parametrize("env_id", ["MathAnswer-v0", "PhysicsSim-v0"])
def test_oracle_and_adversary_on_the_sandbox_free_environments(env_id: str, tmp_path: Path) -> None:
    config = BenchConfig(envs=[env_id], episodes=9, plots=False)
    assert run_bench(OraclePolicy(), config, run_dir=tmp_path / "o").sanity_ok
    assert run_bench(AdversaryPolicy(), config, run_dir=tmp_path / "a").sanity_ok


@pytest.mark.docker
def test_oracle_and_adversary_on_code_in_the_sandbox(docker_ready: None, tmp_path: Path) -> None:
    from rlvrgym.bench.policies.attacks import attacks_for

    n = len(attacks_for("code"))
    config = BenchConfig(envs=["CodeUnitTest-v0"], episodes=n, plots=False, batch_size=n)
    oracle = run_bench(OraclePolicy(), config, run_dir=tmp_path / "o")
    assert oracle.sanity_ok and oracle.summary["sandbox_image"]["id"].startswith("sha256:")
    adversary = run_bench(AdversaryPolicy(), config, run_dir=tmp_path / "a")
    offenders = adversary.summary["envs"]["CodeUnitTest-v0"]["sanity"]["offenders"]
    assert adversary.sanity_ok, offenders
    assert len({r["policy_info"]["attack"] for r in adversary.records}) == n
    assert not math.isnan(adversary.summary["envs"]["CodeUnitTest-v0"]["latency_s"]["verifier"]["p50"])
