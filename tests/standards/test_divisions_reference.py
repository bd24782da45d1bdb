"""The installed division data checked against a public reference (mumuy/data_location, in shared/).

The reference is only a check: padis never reads it at run time.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from padis.standards.divisions import DivisionRegistry, build_registry
from padis.standards.divisions_source import read_loc_dat

CANDIDATES = (
    # CI: shared/ lies beside the clone; on a developer machine it is /work/shared.
    Path(__file__).resolve().parents[3] / "shared" / "reference" / "divisions",
    Path("/work/shared/reference/divisions"),
)
REFERENCE = next((p for p in CANDIDATES if (p / "diff.json").is_file()), None)
pytestmark = pytest.mark.skipif(REFERENCE is None, reason="shared/reference/divisions is not here")

# Measured on python-stdnum 2.2: 81.5 % of comparable abolished codes lead to exactly the reference's
# current successors, 83.2 % share at least one (3,327 compared).
EXACT_FLOOR = 0.81
OVERLAP_FLOOR = 0.83


@pytest.fixture(scope="module")
def reg() -> DivisionRegistry:
    """The registry straight from stdnum's file."""
    return build_registry(read_loc_dat())


def load(name: str) -> dict:
    """One reference file."""
    assert REFERENCE is not None
    return json.loads((REFERENCE / name).read_text(encoding="utf-8"))


def test_derived_successors_agree_with_the_reference(reg: DivisionRegistry) -> None:
    diff: dict[str, list[str]] = load("diff.json")
    exact = overlap = compared = 0
    for code, expected in diff.items():
        division = reg.get(code)
        # Comparable: we know the code, it has ended here too, and the reference names a successor.
        if division is None or division.is_current or not expected:
            continue
        compared += 1
        ours = set(reg.current(code))
        exact += ours == set(expected)
        overlap += bool(ours & set(expected))
    assert compared > 3000
    assert exact / compared >= EXACT_FLOOR, f"exact agreement {exact / compared:.3f} over {compared}"
    assert overlap / compared >= OVERLAP_FLOOR, f"overlap agreement {overlap / compared:.3f} over {compared}"


def test_current_list_matches_the_reference_up_to_known_differences(reg: DivisionRegistry) -> None:
    listed: dict[str, str] = load("list.json")
    # The reference codes Taiwan as 83xxxx and lists no summary rows; Hong Kong/Macao sub-codes are its own.
    ref = {c: n for c, n in listed.items() if c[:2] not in {"71", "81", "82", "83"}}
    ours = {d.code: d.name for d in reg
            if d.is_current and not d.is_summary and d.code[:2] not in {"71", "81", "82"}}
    only_reference = sorted(set(ref) - set(ours))
    only_stdnum = sorted(set(ours) - set(ref))
    renamed = sorted(c for c in set(ref) & set(ours) if ref[c] != ours[c])
    # Created after stdnum's data was taken: what `padis standards divisions update` is for.
    assert only_reference == ["330113", "330114", "653132", "659013"]
    # stdnum keeps the Daxinganling districts, the old Shennongjia and Suizhou codes as current.
    assert only_stdnum == ["232761", "232762", "232763", "232764", "422900", "422921", "429001"]
    assert renamed == []
    assert len(ref) > 3000


def test_loading_the_reference_list_closes_the_gap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from padis.settings import get_settings
    from padis.standards.divisions import get_divisions
    from padis.standards.divisions_update import update_from_file

    monkeypatch.setenv("PADIS_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    get_divisions.cache_clear()
    try:
        listed: dict[str, str] = load("list.json")
        zhejiang = {c: n for c, n in listed.items() if c.startswith("33")}
        path = tmp_path / "zhejiang.json"
        path.write_text(json.dumps(zhejiang, ensure_ascii=False), encoding="utf-8")
        summary = update_from_file(path, year=2021)
        assert {"330113", "330114"} <= set(summary.added)
        assert "330110" not in summary.ended  # 余杭区 stays
        reg = get_divisions()
        assert reg.name("330113") == "临平区" and reg.get("330113").start_year == 2021  # type: ignore[union-attr]
    finally:
        get_settings.cache_clear()
        get_divisions.cache_clear()
