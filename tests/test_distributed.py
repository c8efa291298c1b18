"""The Ray executor on a simulated three-node cluster (`ray.cluster_utils.Cluster`, one Ray start for the module):
the same verdicts as the local executor, jobs placed where they can run, node loss mid-batch, no leftovers.

Nodes: the head (where this driver attaches, 1 CPU), `docker` (1 CPU, advertises {"rlvrgym_docker": 1}) and
`plain` (1 CPU), all on this machine and bound to 127.0.0.1.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

# Ray resolves 127.0.0.1 to the host's outward address unless told this host is not a cluster member; the
# simulated nodes bind 127.0.0.1 only, so the driver must connect there.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
ray = pytest.importorskip("ray", reason='the Ray executor needs rlvrgym[ray] (pip install "rlvrgym[ray]")')

from ray.cluster_utils import Cluster  # noqa: E402

import rlvrgym.distributed as dist  # noqa: E402
from rlvrgym.distributed import POOL_LABEL, NoDockerNode, RayVerifierPool  # noqa: E402
from rlvrgym.tasks.base import GeneratorSource  # noqa: E402
from rlvrgym.tasks.physics import physics_generators  # noqa: E402
from rlvrgym.verifiers import BoundedPool, VerdictStatus, get_verifier  # noqa: E402
from tests.sample_verifiers import SleepyVerifier  # noqa: E402

NODE = {"node_ip_address": "127.0.0.1", "object_store_memory": 80 << 20}


@pytest.fixture(scope="module")
def cluster() -> dict:
    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False, **NODE})
    docker = c.add_node(num_cpus=1, resources={dist.DOCKER_RESOURCE: 1}, **NODE)
    plain = c.add_node(num_cpus=1, **NODE)
    ray.init(address=c.address, log_to_driver=False)
    ids = {"head": c.head_node.node_id, "docker": docker.node_id, "plain": plain.node_id}
    assert set(ids.values()) == {n["NodeID"] for n in ray.nodes()}
    try:
        yield {"cluster": c, "ids": ids, "plain": plain}
    finally:
        dist.shutdown()
        ray.shutdown()
        c.shutdown()
        assert not ray.is_initialized()


@pytest.fixture(scope="module")
def local_pool() -> BoundedPool:
    p = BoundedPool(1)
    yield p
    p.shutdown()


def _math_batch() -> tuple[list[str], list[str]]:
    completions = [r"\boxed{\frac{1}{2}}", "so the answer is 0.5", r"\boxed{x^2+2x+1}", r"\boxed{(x-1)^2}",
                   r"\boxed{", "no answer here", r"\boxed{2, -2}", r"\boxed{[2,\infty)}"] * 4
    references = ["1/2", "1/2", "(x+1)^2", "(x+1)^2", "3", "3", r"\pm 2", r"x \ge 2"] * 4
    return completions, references


def test_math_and_physics_verdicts_equal_the_local_executor(cluster: dict, local_pool: BoundedPool) -> None:
    completions, references = _math_batch()
    local = get_verifier("math", pool=local_pool).verify_batch(completions, references)
    pool = RayVerifierPool(get_verifier("math"), chunk_size=3)
    remote = pool.verify_batch(completions, references)
    assert [v.to_dict() for v in remote] == [v.to_dict() for v in local]
    assert {v.status for v in remote} >= {VerdictStatus.CORRECT, VerdictStatus.WRONG, VerdictStatus.UNPARSEABLE}
    assert len(set(pool.last_placement)) >= 2  # math goes anywhere: more than one node took chunks
    assert set(pool.last_placement) <= set(cluster["ids"].values())

    source = GeneratorSource(physics_generators(), difficulty=[1, 2])
    tasks = [source.make(family, 1, seed) for family in physics_generators() for seed in range(2)]
    p_completions = [rf"\boxed{{{t.reference['value'] * f:.6g}\ \text{{{t.reference['unit']}}}}}"
                     for t in tasks for f in (1.0, 1.03, 2.0)]
    p_references = [t.reference for t in tasks for _ in range(3)]
    p_local = get_verifier("physics", pool=local_pool).verify_batch(p_completions, p_references)
    p_remote = get_verifier("physics", executor="ray").verify_batch(p_completions, p_references)
    assert [v.to_dict() for v in p_remote] == [v.to_dict() for v in p_local]
    assert {v.score for v in p_remote} >= {1.0, 0.0}


CODE_CASES = [
    ("def add(a, b):\n    return a + b", {"test_list": ["assert add(1, 2) == 3", "assert add(2, 2) == 4"]}),
    ("def add(a, b):\n    return a - b", {"test_list": ["assert add(1, 2) == 3", "assert add(2, 0) == 2"]}),
    ("import sys\nsys.exit(0)", {"test_list": ["assert add(1, 2) == 3"]}),
    ("no code at all", {"test_list": ["assert f() == 1"]}),
    ("print(input()[::-1])", {"cases": [{"input": "abc", "output": "cba"}, {"input": "xy", "output": "xy"}]}),
    ("def f(x):\n    while True:\n        pass", {"test_list": ["assert f(1) == 1"]}),
]


def _containers(label: str) -> list:
    import docker

    return docker.from_env().containers.list(all=True, filters={"label": f"{POOL_LABEL}={label}"})


@pytest.mark.docker
def test_code_verdicts_equal_the_local_sandbox_and_run_only_on_the_docker_node(cluster: dict) -> None:
    from rlvrgym.sandbox.job import Limits

    options = {"limits": Limits(test_timeout=5.0, cpu_s=6.0), "job_timeout": 20.0}  # roomy: a loaded CI box
    completions = [c for c, _ in CODE_CASES] * 2
    references = [r for _, r in CODE_CASES] * 2
    local_verifier = get_verifier("code", sandbox_options={"pool_size": 2}, **options)
    try:
        local = local_verifier.verify_batch(completions, references)
    finally:
        local_verifier.sandbox.close()
    pool = RayVerifierPool(get_verifier("code", sandbox_options={"pool_size": 2}, **options), chunk_size=2)
    remote = pool.verify_batch(completions, references)
    assert [v.to_dict() for v in remote] == [v.to_dict() for v in local]
    assert remote[0].correct is True and remote[1].correct is False and remote[2].score == 0
    assert set(pool.last_placement) == {cluster["ids"]["docker"]}  # code jobs only where Docker is advertised
    # the node's warm pool is reused, never a container per job: at most pool_size containers carry our label
    assert 0 < len(_containers(dist.fleet.get_fleet().pool_label)) <= 2


def test_a_code_batch_without_a_docker_node_fails_at_once(cluster: dict) -> None:
    pool = RayVerifierPool(get_verifier("code"), docker_resource="rlvrgym_docker_nowhere")
    start = time.monotonic()
    with pytest.raises(NoDockerNode, match="rlvrgym_docker_nowhere"):
        pool.verify_batch(["def f(): pass"], [{"test_list": ["assert f() is None"]}])
    assert time.monotonic() - start < 60  # an error, not a hang (generous: this machine is shared)
    assert pool.verify_batch([], []) == []


def test_the_hard_bound_still_holds_on_the_nodes(cluster: dict) -> None:
    pool = RayVerifierPool(SleepyVerifier(timeout=0.5), chunk_size=1)
    verdicts = pool.verify_batch(["x", "x", "x"], [0, -1, 0])  # -1 spins forever in the node's worker
    assert [v.status for v in verdicts] == [VerdictStatus.CORRECT, VerdictStatus.TIMEOUT, VerdictStatus.CORRECT]


def _run_in_background(pool: RayVerifierPool, n: int, node_id: str) -> tuple[threading.Thread, list]:
    """Start a batch of `n` quarter-second jobs and return once `node_id` has answered at least one chunk of it."""
    out: list = []
    pool.last_placement = []
    runner = threading.Thread(target=lambda: out.append(pool.verify_batch(["x"] * n, [0.25] * n)))
    runner.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (len(pool.last_placement) == n and node_id in pool.last_placement):
        time.sleep(0.05)
    return runner, out


def test_a_job_that_cannot_be_rerun_is_an_error_with_the_reason(cluster: dict) -> None:
    """The head's worker is killed mid-batch and retries are off: its chunks in flight become `error` verdicts
    that say why; every other job is judged; nothing is a pass by default."""
    n = 24
    pool = RayVerifierPool(SleepyVerifier(timeout=5.0), chunk_size=2, inflight_per_node=2, max_retries=0)
    pool.verify_batch(["warm"] * 6, [0] * 6)
    head = cluster["ids"]["head"]
    member = next(m for m in dist.fleet.get_fleet().all_members() if m.key == head)
    runner, out = _run_in_background(pool, n, head)
    ray.kill(member.actor)
    runner.join(timeout=300)
    verdicts = out[0]
    assert len(verdicts) == n
    errors = [v for v in verdicts if v.status == VerdictStatus.ERROR]
    assert errors, "the killed worker held chunks in flight"
    assert all(v.correct is None and v.score == 0 and "lost" in v.reason for v in errors)
    assert all(v.status == VerdictStatus.CORRECT for v in verdicts if v.status != VerdictStatus.ERROR)


def test_a_node_removed_mid_batch_leaves_every_verdict_correct_or_error(cluster: dict) -> None:
    """`plain` dies while it holds chunks: they re-run on the other nodes (or become `error`), nothing is lost,
    duplicated or passed by default; and once no node can take a chunk, its jobs are errors with the reason."""
    n = 48
    pool = RayVerifierPool(SleepyVerifier(timeout=5.0), chunk_size=2, inflight_per_node=2)
    pool.verify_batch(["warm"] * 6, [0] * 6)  # start every node's worker first, so the batch below is mid-way
    plain_id = cluster["ids"]["plain"]
    runner, out = _run_in_background(pool, n, plain_id)  # `plain` has answered a chunk and holds more: pull it
    cluster["cluster"].remove_node(cluster["plain"])
    runner.join(timeout=300)
    assert not runner.is_alive()
    verdicts = out[0]
    assert len(verdicts) == n
    assert pool.stats["lost_chunks"] >= 1  # the node really went away with work in hand
    # two nodes are left, so every lost chunk found another: each job has its one verdict, none lost or doubled
    assert [v.status for v in verdicts] == [VerdictStatus.CORRECT] * n
    assert all(pool.last_placement) and pool.stats["retries"] == pool.stats["lost_chunks"]
    # the next batch simply runs on the nodes that are left
    again = pool.verify_batch(["x"] * 4, [0] * 4)
    assert [v.status for v in again] == [VerdictStatus.CORRECT] * 4 and plain_id not in pool.last_placement


@pytest.mark.docker
def test_bench_steps_environments_on_the_cluster(cluster: dict, tmp_path: Path) -> None:
    """`rlvrgym bench --ray`: the oracle scores 100% with every step taken on the nodes (code on the Docker node),
    the usual run directory is written, and the summary records the cluster."""
    import json

    from rlvrgym.cli import main

    run_dir = tmp_path / "run"
    code = main(["bench", "--env", "MathAnswer-v0", "--env", "CodeUnitTest-v0", "--policy", "oracle",
                 "--episodes", "3", "--batch-size", "3", "--no-plots", "--run-dir", str(run_dir),
                 "--env-kwargs", 'CodeUnitTest-v0={"tasks": "shipped"}', "--ray"])
    assert code == 0  # the oracle met its known score on both environments
    summary = json.loads((run_dir / "summary.json").read_text())
    assert all(summary["envs"][e]["success"]["rate"] == 1.0 for e in ("MathAnswer-v0", "CodeUnitTest-v0"))
    assert summary["config"]["ray"] == ""
    assert (run_dir / "episodes.jsonl").is_file() and (run_dir / "report.md").is_file()
    nodes = {n["node_id"]: n for n in summary["provenance"]["cluster"]["nodes"]}
    assert set(nodes) >= {cluster["ids"]["head"], cluster["ids"]["docker"]}
    docker_node = nodes[cluster["ids"]["docker"]]
    assert docker_node["docker"] is True and docker_node["worker"]["env_steps"] >= 3  # the code env stepped there
    assert nodes[cluster["ids"]["head"]]["docker"] is False


@pytest.mark.docker
def test_shutdown_leaves_no_container_behind(cluster: dict) -> None:
    label = dist.fleet.get_fleet().pool_label
    dist.shutdown()
    assert _containers(label) == []


def test_importing_rlvrgym_never_imports_or_starts_ray() -> None:
    """Only a batch through the Ray executor connects; importing and wrapping are free (a fresh interpreter)."""
    import subprocess
    import sys

    probe = ("import sys, rlvrgym, rlvrgym.distributed\n"
             "from rlvrgym.verifiers import get_verifier\n"
             "pool = get_verifier('math', executor='ray')\n"
             "assert type(pool).__name__ == 'RayVerifierPool' and pool.name == 'math', pool\n"
             "print('ray' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
    with pytest.raises(ValueError, match="executor"):
        get_verifier("math", executor="spark")
