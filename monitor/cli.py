"""The `utilityflow` command line.

Commands are loaded lazily (click's documented LazyGroup pattern): `utilityflow --help` imports no
pandas, Great Expectations, Soda or Streamlit, so it starts in a fraction of a second. Each command lives
in its own module under `monitor/commands/` and is listed in `COMMANDS`.
"""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Any

import click

from monitor.errors import EXIT_COULD_NOT_RUN, EXIT_USAGE

# name -> (module:attribute, one-line help shown by `utilityflow --help` without importing the module)
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("monitor.commands.init:command", "Create or upgrade the warehouse schema (idempotent)."),
    "ddl": ("monitor.commands.ddl:command", "Print the full warehouse DDL for a dialect."),
    "config": ("monitor.commands.config:command", "Show the resolved settings, secrets masked."),
    "load": ("monitor.commands.load:command", "Load deliveries: stage, cleanse, match customers, publish."),
    "check": ("monitor.commands.check:command", "Run check suites on batches; exit 0 ok, 1 failed, 3 error."),
    "demo": ("monitor.commands.demo:command", "Run the end-to-end demo on an embedded DuckDB file."),
    "dashboard": ("monitor.commands.dashboard:command", "Start the Streamlit quality console."),
    "report": ("monitor.commands.report:command", "Write the executive quality trend report (HTML, PDF)."),
    "powerbi": ("monitor.commands.powerbi:command", "Export the Power BI project, or push batch scores."),
    "schedule": ("monitor.commands.schedule:command", "Run the scheduler (or --once): load, check, alert per source."),
    "alerts": ("monitor.commands.alerts:command", "List alerts (sent, failed, logged) or send a test alert."),
    "incidents": ("monitor.commands.incidents:command", "List, acknowledge and resolve data-quality incidents."),
    "generate": ("monitor.commands.generate:command",
                 "Write synthetic six-source deliveries with a ground-truth defect manifest."),
    "import": ("monitor.commands.import_suite:command", "Translate a GX suite or SodaCL file into a native suite."),
    "truth": ("monitor.commands.truth:command", "Recall and precision of the checks per defect class of a manifest."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when invoked (or asked for their own --help)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target[0].split(":")
        cmd = getattr(importlib.import_module(module_name), attr)
        if not isinstance(cmd, click.Command):
            raise TypeError(f"{target[0]} is not a click command")
        return cmd

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Help text comes from COMMANDS so that listing commands imports none of them.
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and name not in COMMANDS and not name.startswith("-"):
            import difflib

            close = difflib.get_close_matches(name, COMMANDS, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            ctx.fail(f"No such command '{name}'.{hint} See 'utilityflow --help'.")
        return super().resolve_command(ctx, args)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, envvar="UTILITYFLOW_DEBUG", help="Show tracebacks on errors.")
@click.version_option(package_name="utilityflow", prog_name="utilityflow")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """UtilityFlow: data-quality monitoring for a utility's customer data warehouse.

    Exit codes: 0 ok, 1 checks failed, 2 usage or input error, 3 could not run.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning known errors into one line and an exit code."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        cli.main(args=argv, prog_name="utilityflow", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except Exception as e:  # the one place errors become exit codes
        sys.exit(_report(e, debug))
    sys.exit(0)


def _report(error: Exception, debug: bool) -> int:
    from monitor.masking import scrub

    code = getattr(error, "code", None)
    exit_code = getattr(error, "exit_code", None)
    if code is None or exit_code is None:
        # Not one of ours: a bug or an unexpected driver error. Still no secret in the output.
        logging.getLogger("utilityflow").debug("unexpected error", exc_info=True)
        click.echo(f"error: {type(error).__name__}: {scrub(str(error))}", err=True)
        if debug:
            _print_traceback(error)
        else:
            click.echo("Run again with --debug for the traceback.", err=True)
        return EXIT_COULD_NOT_RUN
    click.echo(f"error [{code}]: {scrub(str(error))}", err=True)
    if debug:
        _print_traceback(error)
    return int(exit_code) if exit_code in (EXIT_USAGE, EXIT_COULD_NOT_RUN, 1) else EXIT_COULD_NOT_RUN


def _print_traceback(error: BaseException) -> None:
    import traceback

    from monitor.masking import scrub

    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    click.echo(scrub(text), err=True)


def warehouse_option(func: Any) -> Any:
    """`--warehouse URL` on every command (overrides UTILITYFLOW_WAREHOUSE_URL and utilityflow.toml)."""
    func = click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False),
        default=None,
        help="Settings file (default: ./utilityflow.toml if present).",
    )(func)
    return click.option(
        "--warehouse",
        "warehouse_url",
        metavar="URL",
        default=None,
        help="Warehouse URL (default: $UTILITYFLOW_WAREHOUSE_URL or duckdb:///utilityflow.duckdb).",
    )(func)


if __name__ == "__main__":
    main()
