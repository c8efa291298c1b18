"""Which reasoning-gym scorers pay for answers that are not right: a table per dataset, and the README's list.

For each dataset, `--items` items drawn as ReasoningGym-v0 draws them, each scored by the dataset's own
`score_answer` with: the stored answer (the oracle), the stored answer padded with a guess ("padded"), an empty
answer, "0", and the question itself. A scorer "pays padding" when the padded answer earns more than 0 and less than
the oracle; it "pays anything" when an empty or unrelated answer earns more than 0. Under rlvrgym's default
(`partial_credit=False`) none of that is paid; with `partial_credit=True` it is, and a policy can farm it.

    python benchmarks/reasoning_gym_scorers.py [--items 5] [--datasets a,b] [--markdown out.md]
"""

from __future__ import annotations

import argparse
import signal
import statistics
import time
from pathlib import Path
from typing import Any

from rlvrgym.tasks.reasoning_gym import build, config_key, dataset_names

PAD = " or maybe 42"


def probe(dataset: str, items: int) -> dict[str, Any]:
    rows: dict[str, list[float]] = {"oracle": [], "padded": [], "empty": [], "zero": [], "echo": []}
    for seed in range(1000, 1000 + items):
        data, item = build(dataset, config_key(None), seed)
        answer = item.get("answer")
        if isinstance(answer, str):
            rows["oracle"].append(float(data.score_answer(answer, item)))
            rows["padded"].append(float(data.score_answer(answer + PAD, item)))
        rows["empty"].append(float(data.score_answer("", item)))
        rows["zero"].append(float(data.score_answer("0", item)) if answer != "0" else 0.0)
        rows["echo"].append(float(data.score_answer(str(item["question"]), item)))
    return {k: (statistics.fmean(v) if v else None) for k, v in rows.items()}


def classify(r: dict[str, Any]) -> list[str]:
    notes = []
    if r["oracle"] is None:
        notes.append("no stored answer (validity-checked)")
    elif r["oracle"] < 1 - 1e-9:
        notes.append("stored answer scores < 1")
    if r["padded"] is not None and 0 < r["padded"] < (r["oracle"] or 0) - 1e-9:
        notes.append("pays padding")
    if max(r["empty"], r["echo"]) > 0:
        notes.append("pays an empty or echoed answer")
    return notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=5)
    parser.add_argument("--datasets", help="comma-separated dataset names (default: all)")
    parser.add_argument("--per-dataset-seconds", type=int, default=30)
    parser.add_argument("--markdown", type=Path, help="also write the table as Markdown here")
    args = parser.parse_args()
    names = args.datasets.split(",") if args.datasets else dataset_names()

    def too_slow(*_: Any) -> None:
        raise TimeoutError

    signal.signal(signal.SIGALRM, too_slow)
    header = "| dataset | oracle | padded | empty | \"0\" | question | notes | ms/item |"
    lines = [header, "|---|---|---|---|---|---|---|---|"]
    counts: dict[str, list[str]] = {}
    for name in names:
        signal.alarm(args.per_dataset_seconds)
        start = time.perf_counter()
        try:
            r = probe(name, args.items)
            notes = classify(r)
        except TimeoutError:
            r, notes = None, ["timed out"]
        except Exception as exc:  # a dataset that fails to build with its defaults is reported, not fatal
            r, notes = None, [f"fails: {type(exc).__name__}"]
        finally:
            signal.alarm(0)
        ms = (time.perf_counter() - start) * 1000 / args.items
        for n in notes:
            counts.setdefault(n, []).append(name)

        def cell(v: float | None) -> str:
            return "-" if v is None else f"{v:.3g}"

        cells = [cell(r[k]) for k in ("oracle", "padded", "empty", "zero", "echo")] if r else ["-"] * 5
        lines.append(f"| {name} | {' | '.join(cells)} | {', '.join(notes)} | {ms:.1f} |")
    lines.append("")
    lines.append(f"{len(names)} datasets, {args.items} items each; scorer scores averaged over items.")
    for note, which in sorted(counts.items()):
        lines.append(f"- {note} ({len(which)}): {', '.join(which)}")
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
