"""The one exception type for bad input, so entry points can print it as a single line."""


class ConfigError(ValueError):
    """A configuration or input the zoo refuses, with a message naming the fix or the valid choices."""


class Divergence(FloatingPointError):
    """A training run whose losses or weights turned non-finite: a result (status "diverged"), not
    a crash, so a sweep goes on past it. Says where: the generator iteration, the network, the term."""

    def __init__(self, iteration: int, network: str, term: str):
        super().__init__(f"{term} of the {network} became non-finite at iteration {iteration}")
        self.iteration, self.network, self.term = iteration, network, term
