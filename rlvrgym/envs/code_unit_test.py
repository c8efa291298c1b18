"""Deprecated: CodeUnitTest-v0 lives in `rlvrgym.envs.code_unit` (a module whose name ends in `_test.py` is
collected by test runners). This path still imports, with a `DeprecationWarning`, and is the same module object,
so `CodeUnitTestEnv` is one class whichever path loaded it. It goes away in the next release."""

from __future__ import annotations

import sys
import warnings

from rlvrgym.envs import code_unit as _code_unit

warnings.warn("rlvrgym.envs.code_unit_test moved to rlvrgym.envs.code_unit; the old path goes away in the next "
              "release", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _code_unit
