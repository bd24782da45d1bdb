"""Read the GB/T 2260 code history that python-stdnum ships (``stdnum/cn/loc.dat``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from padis.errors import ConfigError

# One line of loc.dat: a two-digit province (``11 province="北京市"``) or, indented, the last four
# digits of a code under it (``  0224 county="[1982-2001]大兴县"``).
_LINE = re.compile(r'^(?P<indent> *)(?P<digits>\d+)\s+(?P<kind>province|county)="(?P<value>[^"]*)"')
# One name with its years: ``[1982-2001]大兴县``, ``[-1982]昌平县``, ``[2001-]大兴区`` or a bare name.
_SPAN = re.compile(r"^(?:\[(?P<start>\d{4})?-(?P<end>\d{4})?\])?(?P<name>.+)$")


@dataclass(frozen=True)
class NameSpan:
    """One name a code carried and the years it carried it (``None`` = open: before the data / still now)."""

    name: str
    start_year: int | None
    end_year: int | None

    def covers(self, year: int) -> bool:
        """Whether the name was in use in ``year``."""
        return (self.start_year is None or self.start_year <= year) and (
            self.end_year is None or year <= self.end_year
        )


def loc_dat_path() -> Path:
    """Where the installed python-stdnum keeps its Chinese division history."""
    path = Path(str(resources.files("stdnum.cn").joinpath("loc.dat")))
    if not path.is_file():
        raise ConfigError(
            "python-stdnum has no cn/loc.dat",
            where=str(path),
            why="the division history is installed with python-stdnum; reinstall it",
        )
    return path


def stdnum_version() -> str:
    """The installed python-stdnum version (it keys caches of the parsed history)."""
    import stdnum

    return str(getattr(stdnum, "__version__", "unknown"))


def parse_spans(value: str) -> list[NameSpan]:
    """Split ``[-1991]东郊区,[1992-]东丽区`` into name spans in source order."""
    spans: list[NameSpan] = []
    for part in value.split(","):
        match = _SPAN.match(part.strip())
        if match is None:
            continue
        start = int(match["start"]) if match["start"] else None
        end = int(match["end"]) if match["end"] else None
        # The source writes a few names that only stood in the 1982 interim list as [1983-1982]:
        # read a reversed interval as its single earlier year so it never outlives its successor.
        if start is not None and end is not None and start > end:
            start = end
        spans.append(NameSpan(match["name"].strip(), start, end))
    return spans


def read_loc_dat(path: Path | None = None) -> dict[str, list[NameSpan]]:
    """Every six-digit code in the file with its name spans (province lines fill codes without a row)."""
    path = path or loc_dat_path()
    codes: dict[str, list[NameSpan]] = {}
    province = ""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip() or line.startswith("#"):
                continue
            match = _LINE.match(line)
            if match is None:
                raise ConfigError("unreadable line in the division history", where=f"{path}:{number}")
            digits, value = match["digits"], match["value"]
            if match["kind"] == "province" and not match["indent"]:
                province = digits
                codes.setdefault(f"{province}0000", parse_spans(value))
                continue
            if not province or len(province + digits) != 6:
                raise ConfigError("division code is not six digits", where=f"{path}:{number}")
            # The province's own ``0000`` row carries its years; it replaces the bare province line.
            codes[province + digits] = parse_spans(value)
    return codes
