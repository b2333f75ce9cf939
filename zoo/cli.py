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


def config_keys(config_name: str) -> list[str]:
    """The top-level settings of conf/<config_name>.yaml, its config groups included."""
    from omegaconf import OmegaConf

    cfg = OmegaConf.load(CONFIG_DIR / f"{config_name}.yaml")
    groups = [next(iter(entry)) for entry in cfg.get("defaults", []) if OmegaConf.is_dict(entry)]
    return sorted({*cfg.keys(), *groups} - {"defaults"})


def handle_help_and_unknown_keys(argv: list[str], config_name: str, doc: str, extra: tuple[str, ...] = ()) -> None:
    """For the compose-API entry points (zoo.eval, zoo.classifier): ``--help`` prints the module's
    docstring and its annotated config; an unknown ``key=value`` is refused in one line with the
    valid keys (Hydra's own message names the key but not the choices)."""
    if any(arg in ("-h", "--help") for arg in argv):
        print(doc.strip(), end="\n\n")
        print(f"Settings (conf/{config_name}.yaml), each overridable as key=value:\n")
        print((CONFIG_DIR / f"{config_name}.yaml").read_text())
        sys.exit(0)
    known = {*config_keys(config_name), *extra}
    for arg in argv:
        key = arg.split("=", 1)[0].lstrip("+~").split(".")[0]
        if "=" in arg and key not in known:
            fail(f"unknown setting '{key}'; valid: {', '.join(sorted(known))}")
