"""verl 0.9: our parquet through verl's own RLHFDataset, and our reward function through verl's own reward loop
(config keys as the user types them, the `naive` reward manager, the key-set assembly of `RewardLoopManager`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("verl", reason="verl is installed by `pip install -e .[integrations]` (scripts/setup.sh)")

from rlvrgym.cli import main as cli_main
from rlvrgym.integrations import verl as rv
from rlvrgym.train.trl_adapter import make_env
from tests.integration_cases import CODE_KWARGS

ENVS: dict[str, dict[str, Any] | None] = {"MathAnswer-v0": None, "PhysicsSim-v0": None,
                                          "CodeUnitTest-v0": CODE_KWARGS}


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A byte-level BPE built offline (no hub), saved as a model directory verl's `hf_tokenizer` loads."""
    from rlvrgym.train.tiny import corpus_from_generators, train_tokenizer

    out = tmp_path_factory.mktemp("verl_tok")
    train_tokenizer(corpus_from_generators(per_generator=2), vocab_size=400).save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def parquet_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`rlvrgym export verl` for each environment, through the real command line."""
    out = tmp_path_factory.mktemp("verl_data")
    files = {}
    for env_id, kwargs in ENVS.items():
        path = out / f"{env_id}.parquet"
        argv = ["export", "verl", "--env", env_id, "--split", "train", "--n", "2", "--out", str(path)]
        if kwargs:
            argv += ["--env-kwargs", json.dumps(kwargs)]
        assert cli_main(argv) == 0
        files[env_id] = path
    return files


def known_completions(row: dict[str, Any]) -> tuple[str, str]:
    """(right, wrong) completions for a row: the environment's oracle (or the task's canonical program), and a
    well-formed wrong answer."""
    env_id = row["extra_info"]["env_id"]
    env = make_env(env_id, ENVS[env_id], split=None)
    env.reset(options={"task_id": row["extra_info"]["task_id"]})
    assert env.task is not None
    if env_id == "CodeUnitTest-v0":
        entry = env.task.reference["entry_point"]
        right = f"```python\n{env.task.meta['solution']}\n```"
        return right, f"```python\ndef {entry}(*args, **kwargs):\n    return None\n```"
    right = env.oracle_completion()
    assert right
    if env_id == "PhysicsSim-v0":
        ref = env.task.reference
        return right, f"The answer is \\boxed{{{ref['value'] * 3 + 1:.6g}\\ \\text{{{ref['unit']}}}}}."
    return right, "The final answer is $\\boxed{123456789}$."


def test_export_rows_are_verl_rows(parquet_files: dict[str, Path]) -> None:
    import pyarrow.parquet as pq

    for env_id, path in parquet_files.items():
        rows = pq.read_table(path).to_pylist()
        assert len(rows) == 2
        for i, row in enumerate(rows):
            assert row["data_source"] == f"rlvrgym/{env_id}"
            assert row["prompt"][-1]["role"] == "user" and row["prompt"][-1]["content"]
            assert row["reward_model"]["style"] == "rule"
            assert row["extra_info"]["index"] == i and row["extra_info"]["split"] == "train"
            env = make_env(env_id, ENVS[env_id], split=None)
            env.reset(options={"task_id": row["extra_info"]["task_id"]})
            assert env.task is not None and row["prompt"][-1]["content"] == env.task.prompt
            reference = rv.decode_reference(row["reward_model"]["ground_truth"], row["extra_info"]["reference_format"])
            assert reference == env.task.reference
            if not isinstance(reference, str):  # a structured reference (tests, simulated value) stays out of sight
                assert row["reward_model"]["ground_truth"] not in row["prompt"][-1]["content"]


def test_rlhf_dataset_loads_the_export(parquet_files: dict[str, Path], tokenizer_dir: Path, tmp_path: Path) -> None:
    from omegaconf import OmegaConf
    from transformers import AutoTokenizer
    from verl.utils.dataset.rl_dataset import RLHFDataset

    tok = AutoTokenizer.from_pretrained(tokenizer_dir)
    config = OmegaConf.create({"prompt_key": "prompt", "max_prompt_length": 4096, "cache_dir": str(tmp_path),
                               "filter_overlong_prompts": True, "filter_overlong_prompts_workers": 1})
    ds = RLHFDataset([str(p) for p in parquet_files.values()], tok, config)
    assert len(ds) == 6  # nothing filtered or dropped: every prompt templated and fitted
    item = ds[0]
    assert item["data_source"] == "rlvrgym/MathAnswer-v0"
    assert item["raw_prompt"][-1]["role"] == "user"
    assert item["reward_model"]["ground_truth"]


def verl_config(tokenizer_dir: Path, function: str, workers: int = 1) -> Any:
    """verl's generated PPO trainer config with the overrides a user types on the command line."""
    from importlib.resources import files

    from omegaconf import OmegaConf

    base = OmegaConf.load(str(files("verl.trainer.config").joinpath("_generated_ppo_trainer.yaml")))
    overrides = OmegaConf.from_dotlist([
        "reward.custom_reward_function.path=pkg://rlvrgym.integrations.verl",
        f"reward.custom_reward_function.name={function}",
        *(f"reward.custom_reward_function.reward_kwargs.env_kwargs.CodeUnitTest-v0.{k}={json.dumps(v)}"
          for k, v in CODE_KWARGS.items()),
        f"actor_rollout_ref.model.path={tokenizer_dir}",
        f"reward.num_workers={workers}",
    ])
    return OmegaConf.merge(base, overrides)


def batch(parquet_files: dict[str, Path], tokenizer_dir: Path, tmp_path: Path) -> tuple[Any, list[float]]:
    """A rollout batch as verl's agent loop hands it to the reward loop: left-padded prompts, right-padded
    responses, the rows' non-tensor fields; each row answered once right and once wrong."""
    import numpy as np
    import torch
    from omegaconf import OmegaConf
    from transformers import AutoTokenizer
    from verl import DataProto
    from verl.utils.dataset.rl_dataset import RLHFDataset, collate_fn

    tok = AutoTokenizer.from_pretrained(tokenizer_dir)
    config = OmegaConf.create({"prompt_key": "prompt", "max_prompt_length": 4096, "cache_dir": str(tmp_path),
                               "filter_overlong_prompts_workers": 1})
    ds = RLHFDataset([str(p) for p in parquet_files.values()], tok, config)
    items, responses, expected = [], [], []
    for i in range(len(ds)):
        item = ds[i]
        right, wrong = known_completions(item)
        for text, score in ((right, 1.0), (wrong, 0.0)):
            items.append(item)
            responses.append(text)
            expected.append(score)
    collated = collate_fn(items)
    prompt_ids = [tok.apply_chat_template(list(it["raw_prompt"]), add_generation_prompt=True, tokenize=True)
                  for it in items]
    prompt_ids = [list(p["input_ids"] if hasattr(p, "keys") else p) for p in prompt_ids]
    response_ids = [tok(r, add_special_tokens=False)["input_ids"] + [tok.eos_token_id] for r in responses]
    plen, rlen = max(map(len, prompt_ids)), max(map(len, response_ids))
    pad = tok.pad_token_id
    prompts = torch.tensor([[pad] * (plen - len(p)) + p for p in prompt_ids])
    resp = torch.tensor([r + [pad] * (rlen - len(r)) for r in response_ids])
    mask = torch.tensor([[0] * (plen - len(p)) + [1] * len(p) + [1] * len(r) + [0] * (rlen - len(r))
                         for p, r in zip(prompt_ids, response_ids, strict=True)])
    tensors = {"prompts": prompts, "responses": resp, "input_ids": torch.cat([prompts, resp], dim=1),
               "attention_mask": mask}
    non_tensors = {k: np.array(v, dtype=object) if not isinstance(v, np.ndarray) else v
                   for k, v in collated.items() if k in ("data_source", "reward_model", "extra_info", "raw_prompt")}
    return DataProto.from_dict(tensors=tensors, non_tensors=non_tensors), expected


@pytest.mark.parametrize("function", ["compute_score", "compute_score_async"])
def test_reward_loop_worker_scores_known_completions(parquet_files: dict[str, Path], tokenizer_dir: Path,
                                                     tmp_path: Path, function: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """verl's RewardLoopWorker loads our function from the config (plain: run in its executor thread; coroutine:
    awaited) and scores each sample through the `naive` reward manager."""
    from verl.experimental.reward_loop.reward_loop import RewardLoopWorker

    monkeypatch.delenv("RLVRGYM_URL", raising=False)
    data, expected = batch(parquet_files, tokenizer_dir, tmp_path)
    worker = RewardLoopWorker(verl_config(tokenizer_dir, function))
    assert worker.reward_manager.is_async_reward_score == (function == "compute_score_async")
    outputs = worker.loop.run_until_complete(worker.compute_score_batch(data))  # the loop verl bound at init
    scores = [o["reward_score"] for o in outputs]
    assert scores == pytest.approx(expected), [(o, d) for o, d in zip(outputs, data.non_tensor_batch["data_source"],
                                                                      strict=True)]
    keys = [tuple(o["reward_extra_info"]) for o in outputs]
    assert set(keys) == {rv.RESULT_KEYS}
    for o, e in zip(outputs, expected, strict=True):
        assert o["reward_extra_info"]["acc"] == e


def test_reward_loop_manager_assembles_the_batch(parquet_files: dict[str, Path], tokenizer_dir: Path,
                                                 tmp_path: Path) -> None:
    """The whole reward loop as verl's trainer runs it: a Ray actor per reward worker, the scores placed on the
    last response token, and the extra-info columns taken from the first sample's keys."""
    import ray
    from verl.experimental.reward_loop.reward_loop import RewardLoopManager

    data, expected = batch(parquet_files, tokenizer_dir, tmp_path)
    # address="local": a cluster of our own on 127.0.0.1, never one another process left running
    ray.init(address="local", num_cpus=1, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
    try:
        manager = RewardLoopManager(verl_config(tokenizer_dir, "compute_score"))
        out = manager.compute_rm_score(data)
    finally:
        ray.shutdown()
    rm = out.batch["rm_scores"]
    assert rm.sum(dim=1).tolist() == pytest.approx(expected)
    assert out.meta_info["reward_extra_keys"] == list(rv.RESULT_KEYS)
    assert out.non_tensor_batch["acc"].tolist() == expected


def test_compute_score_contract() -> None:
    """verl's keyword call with the extra keywords it may add; a malformed answer is a 0 with the same keys; a
    data source that is not ours is a clear error."""
    ok = rv.compute_score(data_source="rlvrgym/MathAnswer-v0", solution_str="so \\boxed{1/2}", ground_truth="0.5",
                          extra_info={"reference_format": "text"}, reward_router_address=None,
                          reward_model_tokenizer=None)
    bad = rv.compute_score(data_source="rlvrgym/MathAnswer-v0", solution_str="no answer here", ground_truth="0.5")
    assert ok["score"] == 1.0 and ok["acc"] == 1.0
    assert bad["score"] == 0.0 and tuple(bad) == tuple(ok) == rv.RESULT_KEYS
    with pytest.raises(ValueError, match="names no rlvrgym environment"):
        rv.compute_score(data_source="openai/gsm8k", solution_str="1", ground_truth="1")
    import numpy as np  # a user's parquet with a numeric answer column

    assert rv.compute_score(data_source="rlvrgym/MathAnswer-v0", solution_str="\\boxed{12}",
                            ground_truth=np.int64(12))["acc"] == 1.0


def test_example_script_overrides_are_verl_config_keys(tmp_path: Path) -> None:
    """Every override in examples/verl/run_grpo_rlvrgym.sh names a key of verl 0.9's config (struct mode refuses
    unknown keys), and the reward lines load our function through verl's own loader."""
    import re
    from importlib.resources import files

    from omegaconf import OmegaConf
    from verl.trainer.ppo.reward import get_custom_reward_fn

    script = (Path(__file__).resolve().parents[1] / "examples" / "verl" / "run_grpo_rlvrgym.sh").read_text()
    command = script[script.index("python3 -m verl.trainer.main_ppo"):]
    overrides = [m.replace('"', "") for m in re.findall(r"^\s+([a-z_.]+=\S+)", command, re.M)]
    assert any(o.startswith("reward.custom_reward_function.path=") for o in overrides)
    overrides = [o.replace("$DATA", str(tmp_path)).replace("$MODEL", "m") for o in overrides]
    base = OmegaConf.load(str(files("verl.trainer.config").joinpath("_generated_ppo_trainer.yaml")))
    OmegaConf.set_struct(base, True)
    config = OmegaConf.merge(base, OmegaConf.from_dotlist(overrides))
    fn = get_custom_reward_fn(config)
    assert fn is not None
    result = fn(data_source="rlvrgym/MathAnswer-v0", solution_str="\\boxed{4}", ground_truth="4", extra_info={})
    assert result["score"] == 1.0
    # the pre-0.9 top-level key is silently ignored by verl's loader (it would fall back to its own scorer)
    old = [o.replace("reward.custom_reward_function.", "custom_reward_function.") for o in overrides]
    assert get_custom_reward_fn(OmegaConf.merge(base, OmegaConf.from_dotlist(old))) is None


@pytest.mark.parametrize("env_id", ["MathAnswer-v0", "MathProof-v0", "PhysicsSim-v0"])
def test_compute_score_pays_what_env_step_pays(env_id: str) -> None:
    """Exported rows scored by compute_score give env.step's reward and breakdown for the same answer (the row
    carries the reward context, e.g. a derivation's minimal number of steps)."""
    rows = rv.export_rows(env_id, 3, split="train", seed=7)
    env = make_env(env_id, split=None)
    for row in rows:
        env.reset(options={"task_id": row["extra_info"]["task_id"]})
        answers = [env.oracle_completion() or "", "The answer is \\boxed{17}.", "no answer"]
        for text in answers:
            env.reset(options={"task_id": row["extra_info"]["task_id"]})
            _, reward, _, _, info = env.step(text)
            got = rv.compute_score(data_source=row["data_source"], solution_str=text,
                                   ground_truth=row["reward_model"]["ground_truth"], extra_info=row["extra_info"])
            assert got["score"] == pytest.approx(reward)
            for term, value in info["reward_breakdown"].items():
                if term != "total":
                    assert got[term] == pytest.approx(value), term
