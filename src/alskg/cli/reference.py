"""The command-line reference (docs/cli.md), written from the commands' own --help texts.

Run `python -m alskg.cli.reference > docs/cli.md` after changing a command; a test checks that the
file is current, so the reference cannot drift from the program.
"""

from __future__ import annotations

import click

from . import main

WIDTH = 100   # the help text's line width, fixed so the file does not depend on the terminal


def help_text(command: click.Command, path: list[str]) -> str:
    """Return a command's --help output as `alskg PATH --help` prints it."""
    context = None
    commands = [main, *(main.commands[p] for p in path)]
    for name, each in zip(["alskg", *path], commands, strict=True):
        context = click.Context(each, info_name=name, parent=context,
                                terminal_width=WIDTH, max_content_width=WIDTH)
    assert context is not None and context.command is command
    return command.get_help(context).rstrip() + "\n"


def reference() -> str:
    """Return the Markdown reference: the group's help, then every command's, by name."""
    parts = ["# Command-line reference\n",
             "Every `alskg` command with its options, as `--help` prints them. Written by "
             "`python -m alskg.cli.reference > docs/cli.md`; a test keeps it current.\n",
             "```text\n" + help_text(main, []) + "```\n"]
    for name in sorted(main.commands):
        command = main.commands[name]
        parts.append(f"## alskg {name}\n")
        parts.append("```text\n" + help_text(command, [name]) + "```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    print(reference(), end="")
