"""Gather each benchmark's latest figures (bench/results/*.md) into bench/RESULTS.md."""

from __future__ import annotations

from pathlib import Path

ORDER = ("idnumber", "synth", "collect", "linkage", "exchange", "stats")
HEADER = """# Benchmark results

Each section is written by its benchmark's author after the latest run, with the exact command.
Machine: 2 cores, 24 GiB. Runs made while other work loaded the machine say so and give CPU time
beside wall time. Regenerate this file with `.venv/bin/python bench/make_results.py`.
"""


def main() -> None:
    """Concatenate the per-benchmark results in a fixed order."""
    here = Path(__file__).parent
    parts = [HEADER]
    names = sorted(p.stem for p in (here / "results").glob("*.md"))
    for name in sorted(names, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n)):
        text = (here / "results" / f"{name}.md").read_text(encoding="utf-8").strip()
        # each file's headings move one level down under this file's title
        parts.append("\n".join("#" + line if line.startswith("#") else line for line in text.splitlines()))
    (here / "RESULTS.md").write_text("\n\n".join(parts) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
