"""The one exception type for bad input, so entry points can print it as a single line."""


class ConfigError(ValueError):
    """A configuration or input the zoo refuses, with a message naming the fix or the valid choices."""
