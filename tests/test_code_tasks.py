"""Code task sources: the shipped set's reference solutions pass their tests and stubs fail them; HumanEval loads."""

from __future__ import annotations

import ast

import pytest

from rlvrgym.tasks.code import humaneval_tasks, load_code_tasks, shipped_tasks
from rlvrgym.verifiers.code import CodeVerifier
from tests import test_sandbox_fixtures as fixtures

docker_ready = fixtures.docker_ready
pytestmark = [pytest.mark.timeout(600)]


def stub_for(solution: str) -> str:
    """The reference solution with every function body replaced by `return None` (a script: prints nothing)."""
    tree = ast.parse(solution)
    if not any(isinstance(n, ast.FunctionDef) for n in tree.body):
        return "print()\n"
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            node.body = [ast.Return(ast.Constant(None))]
    return ast.unparse(tree)


def test_shipped_set_has_fifty_distinct_problems_in_both_splits() -> None:
    source = shipped_tasks()
    assert len(source) >= 50
    assert len({t.prompt for t in source.tasks}) == len(source)
    assert {t.meta["split"] for t in source.tasks} == {"train", "test"}
    assert {t.reference["format"] for t in source.tasks} == {"mbpp", "stdio", "pytest"}
    for t in source.tasks:  # the prompt never carries the tests
        assert "assert" not in t.prompt and "solution" in t.meta


def test_humaneval_source_and_names() -> None:
    he = humaneval_tasks()
    assert len(he) == 164 and he.get("HumanEval/0").reference["entry_point"] == "has_close_elements"
    assert all("def " in t.meta["solution"] and t.meta["solution"] not in t.prompt for t in he.tasks)
    assert len(load_code_tasks("all")) == 164 + len(shipped_tasks())
    with pytest.raises(FileNotFoundError):
        load_code_tasks("no-such-file.jsonl")


@pytest.mark.docker
def test_shipped_reference_solutions_pass_and_stubs_fail(docker_ready: None) -> None:
    tasks = shipped_tasks().tasks
    verifier = CodeVerifier()
    right = verifier.verify_batch([f"```python\n{t.meta['solution']}```" for t in tasks], [t.reference for t in tasks])
    assert [(t.id, v.reason) for t, v in zip(tasks, right, strict=True) if v.score != 1.0] == []
    wrong = verifier.verify_batch([stub_for(t.meta["solution"]) for t in tasks], [t.reference for t in tasks])
    assert [t.id for t, v in zip(tasks, wrong, strict=True) if v.correct] == []


@pytest.mark.docker
@pytest.mark.slow
def test_echo_of_the_question_and_a_refusal_score_zero_on_every_task(docker_ready: None) -> None:
    """The sanity policies of scripts/main.sh: echoing the prompt (it holds the HumanEval stub) or refusing earns 0."""
    tasks = load_code_tasks("all").tasks
    verifier = CodeVerifier()
    echo = verifier.verify_batch([t.prompt for t in tasks], [t.reference for t in tasks])
    refusal = verifier.verify_batch(["I cannot solve this."] * len(tasks), [t.reference for t in tasks])
    assert [t.id for t, v in zip(tasks, echo, strict=True) if v.score > 0] == []
    assert [t.id for t, v in zip(tasks, refusal, strict=True) if v.score > 0] == []
