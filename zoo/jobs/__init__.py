"""What each command does. zoo/<command>.py is the command itself (zoo.cli.command): it composes the
config and imports its job module here only then, so ``--help``, ``--cfg`` and refused overrides
answer without importing torch (seconds on a small machine)."""
