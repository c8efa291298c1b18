"""One resolver for every environment's `tasks=` argument, and no import circles in the package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from rlvrgym.tasks.base import GeneratorSource, RecordSource, Task
from rlvrgym.tasks.resolve import CODE, PROOF, TaskFamily, math_family, physics_family, resolve_tasks

ROOT = Path(__file__).resolve().parents[1] / "rlvrgym"


def test_every_family_reads_the_same_shapes() -> None:
    source = RecordSource([Task("a", "What is 1+1?", "2")])
    for family in (math_family(), PROOF, CODE, physics_family()):
        assert resolve_tasks(source, family) is source  # a TaskSource is used as is
    math = resolve_tasks("generators", math_family(), [1, 2])
    assert isinstance(math, GeneratorSource) and math.name == "math-generators" and math.difficulties == [1, 2]
    pair = resolve_tasks("identity, derivative", PROOF, 3)
    assert isinstance(pair, GeneratorSource) and sorted(pair.generators) == ["derivative", "identity"]
    assert resolve_tasks(None, physics_family(["pendulum"]), 2).sample  # None is "generators"
    assert sorted(resolve_tasks("pendulum,orbit", physics_family()).generators) == ["orbit", "pendulum"]  # type: ignore[attr-defined]
    records = resolve_tasks([{"question": "What is 2+2?", "answer": "4"}], math_family())
    assert isinstance(records, RecordSource) and records.get("task-0").reference == "4"
    assert len(resolve_tasks("shipped", PROOF).tasks) >= 100  # type: ignore[attr-defined]


def test_what_a_family_cannot_read_is_an_error_listing_what_it_can(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"'shipped'.*jsonl"):
        resolve_tasks("no-such-kind", PROOF)
    with pytest.raises(ValueError, match=r"physics tasks .*generator names"):
        resolve_tasks([{"question": "q", "answer": "a"}], physics_family())
    with pytest.raises(ValueError, match="no generators"):
        resolve_tasks("generators", CODE)
    with pytest.raises(FileNotFoundError):
        resolve_tasks(str(tmp_path / "missing.jsonl"), PROOF)
    with pytest.raises(ValueError, match="unknown physics family"):
        resolve_tasks(None, physics_family(["warp_drive"]))
    assert "generators" in TaskFamily("x", lambda: {}).choices()


def _imports(path: Path, package: str) -> set[str]:
    """Every rlvrgym module `path` imports, at module level or inside functions (TYPE_CHECKING blocks aside)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for n in ast.walk(node)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return {m for m in found if m.startswith(package)}


def test_the_named_import_circles_are_gone() -> None:
    modules = {".".join(p.relative_to(ROOT.parent).with_suffix("").parts): p for p in ROOT.rglob("*.py")}
    graph = {m: {i for i in _imports(p, "rlvrgym") if i in modules} for m, p in modules.items()}
    for a, b in [("rlvrgym.tasks.proof_generators", "rlvrgym.tasks.proof_tasks"),
                 ("rlvrgym.verifiers.base", "rlvrgym.verifiers.bounded"),
                 ("rlvrgym.verifiers.math_proof.goal", "rlvrgym.verifiers.math_proof.judge")]:
        assert not (b in graph[a] and a in graph[b]), f"{a} and {b} import each other"


def test_one_bad_reference_error_for_every_verifier() -> None:
    from rlvrgym.sim.units import get_registry
    from rlvrgym.verifiers import BadReference, get_verifier
    from rlvrgym.verifiers.code.formats import ReferenceError_
    from rlvrgym.verifiers.math.verifier import reference_text
    from rlvrgym.verifiers.math_proof import BadReference as ProofBadReference
    from rlvrgym.verifiers.math_proof.goal import read_goal
    from rlvrgym.verifiers.physics import PhysicsVerifier

    assert ProofBadReference is BadReference and ReferenceError_ is BadReference
    with pytest.raises(BadReference):
        reference_text({"question": "no answer field"})
    with pytest.raises(BadReference):
        read_goal({"kind": "no-such-kind"})
    with pytest.raises(BadReference):
        PhysicsVerifier()._reference({"value": float("nan"), "unit": "m"}, get_registry())
    for name, reference in [("math", {"question": "no answer"}), ("physics", {"unit": "m"}),
                            ("math-proof", {"kind": "no-such-kind"})]:
        verdict = get_verifier(name, isolation="inline").verify("\\boxed{1}", reference)
        assert verdict.status == "error" and verdict.correct is None, (name, verdict)
    code = get_verifier("code", backend="local", allow_unsafe=True)  # the reference fails before anything runs
    verdict = code.verify("```python\nx = 1\n```", {"format": "no-such-format"})
    assert verdict.status == "error" and "no-such-format" in verdict.reason
