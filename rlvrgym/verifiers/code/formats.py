"""Code task formats -> sandbox jobs, and the code extraction from a completion.

Formats of a code reference (a dict):
- HumanEval: `prompt`, `test` (defines `check(candidate)`), `entry_point`. Each top-level statement of the `check`
  body that mentions `candidate` is one test; the others run as set-up, in order, as they would in `check`.
- MBPP: `test_list` (or `tests`/`asserts`): assert strings; optional `test_setup_code`, `test_imports`.
- stdin/stdout: `cases` = [{"input": ..., "output": ...}] (or `inputs` + `outputs`); outputs are compared on the
  host, line by line with trailing whitespace ignored.
- pytest-style: `test_file`: source with plain `test_*` functions (no fixtures); it may `from solution import f`.

Only test code and inputs enter the sandbox's trusted driver; the candidate process receives call arguments and
returns values (see `image/runner.py`). Reference code is trusted: a task file is code.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rlvrgym.sandbox.job import Job, Limits, TestIsolation
from rlvrgym.verifiers.errors import BadReference

FORMATS = ("humaneval", "mbpp", "stdio", "pytest")

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)\n[ \t]*```", re.DOTALL)
_BUILTIN_NAMES = frozenset(dir(builtins))


#: The task's reference is malformed: the verifier cannot decide (an error verdict, never a wrong one).
ReferenceError_ = BadReference


def extract_code(completion: str) -> str | None:
    """The code in a completion: the last complete fenced block (preferring python-tagged ones), else the raw text
    when it parses as Python... or looks like code. None when there is nothing that could be code."""
    blocks = _FENCE.findall(completion)
    if blocks:
        python = [body for lang, body in blocks if lang.lower() in ("python", "py", "python3")]
        return (python or [body for _, body in blocks])[-1]
    if "```" in completion:
        # an unclosed fence: take everything after the last opening line
        tail = completion.rsplit("```", 1)[1]
        tail = tail.split("\n", 1)[1] if "\n" in tail else ""
        return tail if tail.strip() else None
    return completion if completion.strip() else None


def detect_format(reference: Any) -> str:
    if not isinstance(reference, dict):
        raise ReferenceError_(f"a code reference must be a dict, got {type(reference).__name__}")
    fmt = reference.get("format")
    if fmt:
        if fmt not in FORMATS:
            raise ReferenceError_(f"unknown code format {fmt!r}; known: {', '.join(FORMATS)}")
        return str(fmt)
    if "entry_point" in reference and "test" in reference:
        return "humaneval"
    if any(k in reference for k in ("test_list", "tests", "asserts")):
        return "mbpp"
    if "cases" in reference or ("inputs" in reference and "outputs" in reference):
        return "stdio"
    if "test_file" in reference:
        return "pytest"
    raise ReferenceError_(f"cannot tell the format of a reference with fields {sorted(reference)}")


@dataclass
class Plan:
    """What to run and how many tests the host knows of: the denominator the candidate cannot change."""

    fmt: str
    job: Job
    names: list[str]
    expected: list[str] = field(default_factory=list)  # stdio only, never sent to the sandbox


def _parse(src: str, what: str) -> ast.Module:
    try:
        return ast.parse(src)
    except SyntaxError as exc:
        raise ReferenceError_(f"the reference {what} does not parse: {exc}") from None


def _mentions(node: ast.AST, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))


def _bound_names(tree: ast.AST) -> set[str]:
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound


def _free_names(trees: Sequence[ast.AST], also_bound: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    bound = set(also_bound)
    for t in trees:
        bound |= _bound_names(t)
    loaded = {n.id for t in trees for n in ast.walk(t) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return sorted(loaded - bound - _BUILTIN_NAMES)


def program_for(fmt: str, code: str, reference: dict[str, Any]) -> str:
    """The solution file. HumanEval completions may be the full function or only its body (the HumanEval way)."""
    if fmt == "humaneval":
        prompt = str(reference["prompt"])
        entry = re.escape(str(reference["entry_point"]))
        if re.search(rf"^(async\s+)?def\s+{entry}\s*\(", code, re.MULTILINE):
            return prompt + "\n\n" + code + "\n"  # the prompt's imports and helpers, then the candidate's def
        return prompt + code + "\n"
    return code + "\n"


def plan(code: str, reference: Any, limits: Limits, timeout: float, test_isolation: TestIsolation = "shared") -> Plan:
    """Turn (candidate code, reference) into a sandbox job and the list of test names the host expects.
    `test_isolation` says how the tests of a function task meet the candidate (`Job.test_isolation`)."""
    fmt = detect_format(reference)
    files = {"solution.py": program_for(fmt, code, reference)}
    if fmt == "stdio":
        cases = reference.get("cases")
        if cases is None:
            cases = [{"input": i, "output": o}
                     for i, o in zip(reference["inputs"], reference["outputs"], strict=True)]
        if not cases:
            raise ReferenceError_("a stdin/stdout reference needs at least one case")
        inputs = [str(c["input"]) for c in cases]
        job = Job(files=files, kind="stdio", cases=tuple(inputs), timeout=timeout, limits=limits)
        return Plan(fmt, job, [f"case {i}" for i in range(len(cases))], [str(c["output"]) for c in cases])
    if fmt == "humaneval":
        units, setup, aliases, names = _humaneval_units(reference)
        proxies: list[str] = []
    elif fmt == "mbpp":
        units, setup, proxies, names = _mbpp_units(reference)
        aliases = {}
    else:
        units, setup, proxies, names = _pytest_units(reference)
        aliases = {}
    if not names:
        raise ReferenceError_("the reference has no test that calls the candidate")
    calls = {"setup": setup, "units": units, "proxy_names": proxies, "aliases": aliases}
    return Plan(fmt, Job(files=files, kind="calls", calls=calls, timeout=timeout, limits=limits,
                         test_isolation=test_isolation), names)


def _humaneval_units(ref: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str], dict[str, str], list[str]]:
    tree = _parse(str(ref["test"]), "test")
    checks = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "check"]
    if len(checks) != 1 or len(checks[0].args.args) != 1:
        raise ReferenceError_("a HumanEval test must define exactly one check(candidate)")
    check = checks[0]
    param = check.args.args[0].arg
    module_setup = ast.unparse(ast.Module([n for n in tree.body if n is not check], type_ignores=[]))
    entry = str(ref["entry_point"])
    units: list[dict[str, Any]] = []
    names: list[str] = []
    tainted = {param, entry}  # names whose value comes from the candidate, directly or through set-up statements
    for stmt in check.body:
        uses = _mentions(stmt, tainted)
        # a test is a statement that asserts or calls something about the candidate; `assert True` is not one
        is_test = uses and (any(isinstance(n, ast.Assert) for n in ast.walk(stmt)) or isinstance(stmt, ast.Expr))
        if uses and not is_test:
            tainted |= _bound_names(stmt)
        units.append({"kind": "stmt", "src": ast.unparse(stmt), "test": is_test, "uses_candidate": uses})
        if is_test:
            names.append(f"test {len(names)} (line {stmt.lineno}): {ast.unparse(stmt).splitlines()[0][:80]}")
    # In HumanEval's own harness the test shares a namespace with the completion, so a test that names the entry
    # point (HumanEval/33 does) means the candidate's function, not the prompt's stub.
    return units, [str(ref["prompt"]), module_setup], {param: entry, entry: entry}, names


def _mbpp_units(ref: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str], list[str], list[str]]:
    asserts = ref.get("test_list") or ref.get("tests") or ref.get("asserts") or []
    if isinstance(asserts, str) or not all(isinstance(a, str) for a in asserts):
        raise ReferenceError_("MBPP tests must be a list of assert strings")
    imports = ref.get("test_imports") or []
    setup = [*map(str, imports), str(ref.get("test_setup_code") or "")]
    setup_trees = [_parse(s, "set-up code") for s in setup]
    trees = [_parse(a, "assert") for a in asserts]
    bound = set().union(*(_bound_names(t) for t in setup_trees)) if setup_trees else set()
    proxies = _free_names(trees, bound)
    units = [{"kind": "stmt", "src": a, "test": True} for a in asserts]
    names = [f"test {i}: {a.strip().splitlines()[0][:80]}" for i, a in enumerate(asserts)]
    return units, [s for s in setup if s.strip()], proxies, names


def _pytest_units(ref: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str], list[str], list[str]]:
    src = str(ref["test_file"])
    tree = _parse(src, "test file")
    funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test")]
    for f in funcs:
        if f.args.args or f.args.posonlyargs or f.args.kwonlyargs or f.args.vararg or f.args.kwarg:
            raise ReferenceError_(f"{f.name} takes arguments: fixtures and parametrize are not supported")
    bound = {"solution", "pytest"}
    proxies = [n for n in _free_names([tree], bound)]
    units = [{"kind": "func", "name": f.name, "test": True} for f in funcs]
    return units, [src], proxies, [f.name for f in funcs]


def normalise_output(text: str) -> list[str]:
    """Lines with trailing whitespace dropped and trailing blank lines removed: the usual judge tolerance."""
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


#: Static hints of reward hacking in the candidate's code (reported in details["flags"], never scored on alone).
SUSPICIOUS = {
    "calls_exit": r"\bos\._exit\b|\bsys\.exit\b|(?<![\w.])(exit|quit)\s*\(|raise\s+SystemExit",
    "skip_test": r"SkipTest|\bpytest\.skip\b|unittest\.skip",
    "custom_eq": r"def\s+__(eq|ne|hash)__\s*\(",
    "builtin_subclass": r"class\s+\w+\s*\(\s*(int|str|list|float|dict|tuple|bool|set|bytes)\s*\)",
    "plants_startup_file": r"conftest|sitecustomize|usercustomize|\.pth\b",
    "stack_walking": r"sys\._getframe|inspect\.(stack|currentframe|getouterframes)|gc\.get_(objects|referrers)|"
                     r"\bf_back\b|\bf_locals\b|\bf_globals\b",
    "touches_builtins": r"\bbuiltins\b|__builtins__",
    "touches_test_framework": r"\bunittest\b|\bpytest\b|\bAssertionError\s*=|\bcheck\s*=",
    "prints_pass_message": r"print\s*\(\s*[rfb]?['\"][^'\"]*(PASS|passed|All tests|OK\b)",
    "patches_time_or_print": r"\b(time\.\w+|print)\s*=(?!=)",
}


def static_flags(code: str) -> list[str]:
    return [name for name, pattern in SUSPICIOUS.items() if re.search(pattern, code)]
