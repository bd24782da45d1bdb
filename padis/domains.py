"""The domain packages of padis, in the order their commands, models and migrations load."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterator
from types import ModuleType

DOMAINS: tuple[str, ...] = (
    "store",
    "standards",
    "synth",
    "collect",
    "register",
    "linkage",
    "verify",
    "exchange",
    "security",
    "services",
    "stats",
    "api",
)


def has_module(name: str) -> bool:
    """True when the dotted module ``name`` exists, without failing on a missing parent package."""
    parent = name.rpartition(".")[0]
    if parent and not has_module(parent):
        return False
    return importlib.util.find_spec(name) is not None


def domain_modules(part: str) -> Iterator[tuple[str, ModuleType]]:
    """Each domain's ``padis.<domain>.<part>`` module that exists, imported, in domain order."""
    for domain in DOMAINS:
        name = f"padis.{domain}.{part}"
        if has_module(name):
            yield domain, importlib.import_module(name)
