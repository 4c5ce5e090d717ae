"""``uei X --help`` for every command, as a user runs it: it exits 0, explains each of its
options, and ends with an example of that very command (``uei/app/cli_examples.py``)."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from uei.app.cli import cli
from uei.app.cli_examples import EXAMPLES


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for name, command in group.commands.items():
        path = (*prefix, name)
        if isinstance(command, click.Group):
            found += _commands(command, path)
        else:
            found.append(path)
    return found


COMMANDS = _commands(cli)


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


def test_every_command_has_an_example_and_every_example_a_command() -> None:
    assert len(COMMANDS) >= 20
    assert sorted(" ".join(p) for p in COMMANDS) == sorted(EXAMPLES)


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_help_explains_each_option_and_shows_an_example(path: tuple[str, ...]) -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "uei", *path, "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    command = _command(path)
    assert (command.help or "").strip(), "no description"
    for option in command.params:
        if isinstance(option, click.Option):
            assert option.help, f"{option.opts[0]} is not explained"
            assert option.opts[-1] in text
    example = EXAMPLES[" ".join(path)]
    assert f"uei {' '.join(path)}" in example
    assert "Example:" in text
    assert example.split()[-1] in text
