"""What the command-line entry points share: the config folder, and one-line refusals."""

import re
import sys
from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent.parent / "conf"

_GROUP_CHOICE = re.compile(r"^[+~]*(?P<group>[A-Za-z_][\w/]*)(@[\w.]+)?=(?P<value>[^\s]*)$")


def fail(message: str, code: int = 2) -> None:
    """Print one line naming the problem on stderr and exit non-zero."""
    print(f"zoo: error: {message}", file=sys.stderr)
    sys.exit(code)


def group_options(group: str) -> list[str]:
    return sorted(path.stem for path in (CONFIG_DIR / group).glob("*.yaml"))


def check_group_choices(argv: list[str]) -> None:
    """Refuse ``group=option`` overrides whose option has no file, in one line with the choices.

    Hydra itself refuses them too, but over eight lines of search paths; this is what a user needs
    from it. Plain choices and comma-separated sweeps are checked; glob()/range() sweeps are left
    to Hydra.
    """
    for arg in argv:
        match = _GROUP_CHOICE.match(arg)
        if not match or not (CONFIG_DIR / match["group"]).is_dir() or match["group"] == "hydra":
            continue
        value = match["value"]
        if "(" in value or "[" in value:
            continue
        for option in value.split(","):
            if option not in ("", "null") and not (CONFIG_DIR / match["group"] / f"{option}.yaml").is_file():
                choices = ", ".join(group_options(match["group"]))
                fail(f"unknown {match['group']} '{option}'; choose one of: {choices}")
