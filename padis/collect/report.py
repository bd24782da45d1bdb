"""The import report of one batch: counts by outcome and by reason, for the terminal and as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table


@dataclass
class ImportReport:
    """What happened to one file: rows read, stored, quarantined (by reason), and the batch it became."""

    file: str
    agency: str
    dataset: str
    record_type: str
    file_hash: str
    batch_id: int | None
    rows_read: int
    rows_stored: int
    rows_quarantined: int
    by_reason: dict[str, int] = field(default_factory=dict)
    rows_with_warnings: int = 0
    already_loaded: bool = False
    seconds: float = 0.0
    register: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # the reader's warnings about the file itself

    def to_dict(self) -> dict[str, object]:
        """Plain data (the ``--report-json`` content)."""
        return asdict(self)

    def write_json(self, path: Path) -> None:
        """Write the report as JSON to ``path``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")

    def render(self, console: Console) -> None:
        """Print the report as Rich tables."""
        if self.already_loaded:
            console.print(
                f"[yellow]已导入过[/] {self.file}: batch {self.batch_id} already holds this file "
                f"({self.agency}, sha256 {self.file_hash[:12]}…); nothing changed"
            )
            return
        table = Table(title=f"导入报告 import report — batch {self.batch_id}", show_header=False)
        table.add_column("item")
        table.add_column("value", justify="right")
        for label, value in (
            ("文件 file", self.file),
            ("部门 agency", self.agency),
            ("数据集 dataset", f"{self.dataset} ({self.record_type})"),
            ("读取 rows read", f"{self.rows_read:,}"),
            ("入库 rows stored", f"{self.rows_stored:,}"),
            ("隔离 rows quarantined", f"{self.rows_quarantined:,}"),
            ("警告 rows with warnings", f"{self.rows_with_warnings:,}"),
            ("耗时 seconds", f"{self.seconds:.2f}"),
        ):
            table.add_row(label, value)
        for key, value in self.register.items():
            table.add_row(f"登记 register {key}", f"{value:,}")
        console.print(table)
        for note in self.notes:
            console.print(f"[yellow]注意 note:[/] {note}")
        if self.by_reason:
            reasons = Table(title="隔离原因 quarantined by reason")
            reasons.add_column("reason")
            reasons.add_column("rows", justify="right")
            for reason, count in self.by_reason.items():
                reasons.add_row(reason, f"{count:,}")
            console.print(reasons)
