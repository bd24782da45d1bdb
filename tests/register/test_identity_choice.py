"""Which resolver the register uses: PADIS_RESOLVER, else Splink once a linked register exists."""

from __future__ import annotations

import pytest

from padis.errors import InputError
from padis.register import identity


@pytest.fixture(autouse=True)
def _home(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PADIS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv(identity.RESOLVER_ENV, raising=False)
    from padis.settings import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_default_is_id_number_until_a_linked_register_exists() -> None:
    assert identity.resolver_choice() == "id_number"
    assert isinstance(identity.get_resolver(), identity.IdNumberResolver)
    folder = identity.linkage_folder()
    folder.mkdir(parents=True)
    (folder / "records.parquet").write_bytes(b"")
    from padis.linkage.resolver import SplinkResolver

    assert identity.resolver_choice() == "splink"
    got = identity.get_resolver()
    assert isinstance(got, SplinkResolver) and got.folder == folder


def test_env_overrides_and_bad_value_is_a_user_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(identity.RESOLVER_ENV, "Splink")
    assert identity.resolver_choice() == "splink"
    monkeypatch.setenv(identity.RESOLVER_ENV, "id_number")
    assert isinstance(identity.get_resolver(), identity.IdNumberResolver)
    monkeypatch.setenv(identity.RESOLVER_ENV, "fuzzy")
    with pytest.raises(InputError):
        identity.resolver_choice()


def test_plugged_resolver_wins_until_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(identity.RESOLVER_ENV, "splink")
    mine = identity.IdNumberResolver()
    previous = identity.set_resolver(mine)
    try:
        assert identity.get_resolver() is mine
    finally:
        identity.set_resolver(previous)
    assert type(identity.get_resolver()).__name__ == "SplinkResolver"
