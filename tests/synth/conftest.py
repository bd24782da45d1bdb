"""One generated data set shared by the synth tests (60,000 persons, Beijing and Hebei, 2021-2023)."""

from __future__ import annotations

from pathlib import Path

import pytest

from padis.synth.generate import SynthConfig, SynthResult, generate


@pytest.fixture(scope="session")
def synth_run(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    """A run with the default error rates."""
    out = tmp_path_factory.mktemp("synth") / "run"
    return generate(SynthConfig(out=out, persons=60_000, provinces=["11", "13"], years=(2021, 2023), seed=11))


@pytest.fixture(scope="session")
def synth_dir(synth_run: SynthResult) -> Path:
    """Folder of the shared run."""
    return Path(synth_run.out)
