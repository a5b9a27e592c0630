"""The ``stream-chat`` console command: local tooling around the function (never in Lambda)."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Each subcommand is a module with ``add_arguments(parser)`` and ``run(args) -> int``, imported
# only when chosen so that ``stream-chat invoke`` does not pay for the server's imports.
SUBCOMMANDS = {
    "invoke": ("stream_chat_local.invoke", "run the handler on a function URL event"),
    "serve": ("stream_chat_local.serve", "serve the page and a local streaming function URL"),
    "smoke": ("stream_chat_local.smoke", "check a deployed site streams without buffering"),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stream-chat")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub = commands.add_parser(name, help=help_text)
        sub.set_defaults(module=module_name)
        if name in _chosen(argv):
            importlib.import_module(module_name).add_arguments(sub)
    args = parser.parse_args(argv)
    code: int = importlib.import_module(args.module).run(args)
    return code


def _chosen(argv: Sequence[str] | None) -> set[str]:
    words = sys.argv[1:] if argv is None else list(argv)
    return {word for word in words if word in SUBCOMMANDS}


if __name__ == "__main__":
    sys.exit(main())
