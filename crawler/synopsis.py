"""The command synopsis in README.md, generated from the CLI itself so it cannot drift.

``make readme`` (cog) rewrites the block; ``tests/test_readme.py`` fails when the README's
copy differs from what :func:`synopsis` gives for the commands as they are.
"""

from __future__ import annotations

import click


def option_usage(option: click.Option, ctx: click.Context) -> str:
    """``[--db FILE]``, ``[-s NAME=VALUE ...]``, ``[--json]``: the short name when there is
    one, the metavar click shows in ``--help``."""
    name = min(option.opts, key=len) if any(len(o) == 2 for o in option.opts) else option.opts[0]
    if option.count:
        return f"[{name} | {name}{name[-1]}]"  # -v | -vv
    metavar = option.make_metavar(ctx)
    if metavar.startswith("[") and metavar.endswith("]"):  # a choice: [jsonl|csv]
        metavar = metavar[1:-1]
    text = name if option.is_flag else f"{name} {metavar}"
    if option.multiple:
        text += " ..."
    return f"[{text}]"


def command_usage(name: str, command: click.Command, parent: click.Context) -> str:
    ctx = click.Context(command, info_name=name, parent=parent)
    pieces = [f"{parent.info_name} {name}"]
    for param in command.get_params(ctx):
        if isinstance(param, click.Argument):
            pieces.append(param.make_metavar(ctx))
        elif isinstance(param, click.Option) and "--help" not in param.opts:
            pieces.append(option_usage(param, ctx))
    return " ".join(pieces)


def synopsis() -> str:
    """One line per ``newscrawl`` command (and per subcommand of a group such as ``site``),
    in the order they are defined."""
    from crawler.cli import cli

    root = click.Context(cli, info_name="newscrawl")
    lines = []
    for name, command in cli.commands.items():
        if isinstance(command, click.Group):
            lines += [command_usage(f"{name} {sub}", subcommand, root)
                      for sub, subcommand in command.commands.items()]
        else:
            lines.append(command_usage(name, command, root))
    return "\n".join(lines)
