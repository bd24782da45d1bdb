"""Put persons into the register for tests, the benchmark and the demo.

The persons become source records of public security (the authority of most person fields) applied
like a collected file, so golden rebuilds keep them.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import Engine


def seed_persons(engine: Engine, persons: pl.DataFrame) -> int:
    """Append persons (columns named as in ``person``) to the register; returns the rows written."""
    from padis.collect.models import PERSON_COLUMNS
    from padis.register.updates import record_claims

    claims = persons.select([c for c in ("person_id", *PERSON_COLUMNS) if c in persons.columns])
    record_claims(engine, "public_security", claims, client="seed", file_name="seed")
    return claims.height
