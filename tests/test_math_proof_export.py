"""`rlvrgym export-steps`: labelled derivations whose planted first error the verifier confirms."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from rlvrgym.cli import main
from rlvrgym.tasks.proof_export import ERROR_TYPES, export_records, plant


def test_planting_changes_the_line_or_declines() -> None:
    rng = np.random.default_rng(0)
    line = "= x^2 + 3x + 3x + 9"
    for error in ERROR_TYPES:
        changed = plant(line, error, rng)
        assert changed is None or changed != line
    assert plant("= x^2 + 6x + 9", "sign_flip", np.random.default_rng(1)) in ("= x^2 - 6x + 9", "= x^2 + 6x - 9")
    assert plant("= x^3 + C", "dropped_term", rng) is None  # dropping + C is not an error
    with pytest.raises(ValueError):
        plant(line, "typo", rng)


def test_records_follow_the_schema_and_agree_with_the_verifier() -> None:
    stats: Counter[str] = Counter()
    records = list(export_records("all", 40, seed=3, error_rate=0.5, stats=stats))
    assert len(records) == 40 and stats["planted"] > 5 and stats["correct"] > 5
    assert stats["template_not_verified"] == 0
    for r in records:
        assert set(r) >= {"id", "task_id", "kind", "problem", "reference", "steps", "labels", "step_scores",
                          "first_error", "error_type", "finished"}
        assert len(r["steps"]) == len(r["labels"]) == len(r["step_scores"])
        if r["error_type"] is None:
            assert r["finished"] and r["first_error"] == -1 and all(label == 1 for label in r["labels"])
        else:
            k = r["first_error"]
            assert r["error_type"] in ERROR_TYPES and not r["finished"] and k >= 0
            assert r["labels"][k] == -1 and all(label == 1 for label in r["labels"][:k])
        assert "solution" not in r["reference"]


def test_cli_writes_jsonl(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "steps.jsonl"
    assert main(["export-steps", "--kind", "identity", "--n", "12", "--out", str(out), "--seed", "1"]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 12 and all(json.loads(line)["kind"] == "identity" for line in lines)
    assert "wrote 12 derivations" in capsys.readouterr().out
    with pytest.raises(ValueError):
        list(export_records("geometry", 1))
