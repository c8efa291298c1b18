"""Task records and sources (generators, JSONL, Hugging Face datasets, the shipped sets)."""

from rlvrgym.tasks.base import (
    SPLITS,
    Generator,
    GeneratorSource,
    RecordSource,
    Split,
    Task,
    TaskSource,
    load_tasks,
    read_jsonl,
    records_to_tasks,
    split_of,
)

__all__ = ["SPLITS", "Generator", "GeneratorSource", "RecordSource", "Split", "Task", "TaskSource", "load_tasks",
           "read_jsonl", "records_to_tasks", "split_of"]
