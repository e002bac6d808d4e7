"""One module per ``saxs`` subcommand; see :mod:`saxs.cli`."""
