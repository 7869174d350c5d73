"""The README's command table names every command of `itworks` and every option."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click

README = Path(__file__).resolve().parents[2] / "README.md"


def _commands(command: click.Command, path: tuple[str, ...] = ()) -> Iterator:
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _commands(sub, (*path, name))
    else:
        yield path, command


def test_every_command_and_option_is_in_the_readme() -> None:
    from itworks.cli import main

    text = README.read_text(encoding="utf-8")
    missing = []
    for path, command in _commands(main):
        if path[-1] not in text:
            missing.append(" ".join(path))
        options = [o for p in command.params if isinstance(p, click.Option) for o in p.opts]
        name = " ".join(path)
        missing += [f"{name} {o}" for o in options if o.startswith("--") and o not in text]
    assert missing == []
