"""Where the division data lives: stdnum's history, the overlay of newer lists, and a parsed cache."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path
from typing import Any

from padis.errors import ConfigError
from padis.settings import get_settings
from padis.standards.divisions_source import NameSpan, loc_dat_path, stdnum_version

OVERLAY_FORMAT = 1


def divisions_dir() -> Path:
    """Folder under the padis home for this node's division overlay and cache."""
    return get_settings().home / "divisions"


def overlay_path() -> Path:
    """The JSON file holding every newer list loaded on this node, in the order loaded."""
    return divisions_dir() / "overlay.json"


def load_overlay() -> list[dict[str, Any]]:
    """The updates loaded so far (empty when none)."""
    path = overlay_path()
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError("division overlay is unreadable", where=str(path), why=str(exc)) from exc
    if not isinstance(data, dict) or data.get("format") != OVERLAY_FORMAT or not isinstance(
        data.get("updates"), list
    ):
        raise ConfigError("division overlay has an unknown layout", where=str(path),
                          why=f"expected {{'format': {OVERLAY_FORMAT}, 'updates': [...]}}")
    for number, update in enumerate(data["updates"], start=1):
        if not (isinstance(update, dict) and isinstance(update.get("year"), int)
                and isinstance(update.get("added", {}), dict) and isinstance(update.get("renamed", {}), dict)
                and isinstance(update.get("ended", []), list)):
            raise ConfigError(f"update {number} of the division overlay is malformed", where=str(path),
                              why="each needs an integer year, added/renamed objects and an ended list")
    return data["updates"]


def save_overlay(updates: list[dict[str, Any]]) -> Path:
    """Write the updates atomically (a crash leaves the old file whole)."""
    path = overlay_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".json.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"format": OVERLAY_FORMAT, "updates": updates}, ensure_ascii=False, indent=1),
                   encoding="utf-8")
    os.replace(tmp, path)
    return path


def _close(spans: list[NameSpan], last_year: int) -> list[NameSpan]:
    # A span that only began in the update's year (or later) would become empty: keep it one year.
    return [
        NameSpan(s.name, s.start_year, max(last_year, s.start_year or last_year)) if s.end_year is None else s
        for s in spans
    ]


def apply_update(codes: dict[str, list[NameSpan]], update: dict[str, Any]) -> None:
    """Lay one loaded list over the codes in place: new codes start, renamed get a new span, gone ones end."""
    year = int(update["year"])
    for code in update.get("ended", []):
        if code in codes:
            codes[code] = _close(codes[code], year - 1)
    for code, name in update.get("renamed", {}).items():
        codes[code] = [*_close(codes.get(code, []), year - 1), NameSpan(name, year, None)]
    for code, name in update.get("added", {}).items():
        codes[code] = [*_close(codes.get(code, []), year - 1), NameSpan(name, year, None)]


def _cache_key(updates: list[dict[str, Any]]) -> str:
    # The key covers the data (stdnum's file, the overlay) and the code that turns it into a registry,
    # so a changed derivation rule never serves an old pickle.
    digest = hashlib.sha256()
    loc = loc_dat_path()
    stat = loc.stat()
    digest.update(json.dumps([stdnum_version(), str(loc), stat.st_size, stat.st_mtime_ns, updates],
                             ensure_ascii=False, sort_keys=True).encode("utf-8"))
    here = Path(__file__).parent
    for name in ("divisions.py", "divisions_source.py", "divisions_successors.py", "divisions_store.py"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16]


def describe_source(updates: list[dict[str, Any]]) -> str:
    """One line naming where the data came from."""
    base = f"python-stdnum {stdnum_version()} cn/loc.dat"
    if not updates:
        return base
    years = ", ".join(str(u["year"]) for u in updates)
    return f"{base} + {len(updates)} loaded list(s) ({years})"


def cached_registry_path(updates: list[dict[str, Any]]) -> Path:
    """The pickle of a built registry for this stdnum version and overlay."""
    return divisions_dir() / f"registry-{_cache_key(updates)}.pickle"


def read_cached(path: Path) -> Any | None:
    """A registry pickled earlier by this node, or ``None`` if missing or unreadable."""
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)  # noqa: S301 - our own file under the node's home
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None


def write_cached(path: Path, registry: Any) -> None:
    """Pickle a built registry (best effort: a read-only home just means no cache)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in path.parent.glob("registry-*.pickle"):
            old.unlink(missing_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as handle:
            pickle.dump(registry, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass
