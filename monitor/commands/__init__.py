"""CLI commands, one module each; listed in monitor.cli.COMMANDS."""
