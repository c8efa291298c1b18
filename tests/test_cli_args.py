"""The JSON values every command parses alike, and the clear errors they give."""

from __future__ import annotations

import pytest

from rlvrgym.cli_args import json_object, named_json_objects


def test_json_object_and_named_objects() -> None:
    assert json_object('{"difficulty": 2}') == {"difficulty": 2}
    assert named_json_objects(['MathAnswer-v0={"difficulty": 2}', 'code={"pool_size": 4, "x": "a=b"}'],
                              "--env-kwargs") == {"MathAnswer-v0": {"difficulty": 2},
                                                  "code": {"pool_size": 4, "x": "a=b"}}
    assert named_json_objects(None, "--env-kwargs") == {}


@pytest.mark.parametrize(("value", "message"), [
    ("MathAnswer-v0", "--env-kwargs takes NAME=JSON, got 'MathAnswer-v0'"),
    ('={"a": 1}', "takes NAME=JSON"),
    ("X=[1]", "--env-kwargs X=...: expected a JSON object of keyword arguments, got list"),
    ("X={", "--env-kwargs X=...: not valid JSON"),
])
def test_malformed_values_say_what_is_wrong(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        named_json_objects([value], "--env-kwargs")


def test_commands_turn_them_into_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    from rlvrgym.bench.cli import _env_kwargs
    from rlvrgym.cli import main

    with pytest.raises(SystemExit, match="expected a JSON object"):
        _env_kwargs(["X=3"])
    with pytest.raises(SystemExit):
        main(["train", "sft", "--env-kwargs", "[1]"])
    assert "expected a JSON object" in capsys.readouterr().err
