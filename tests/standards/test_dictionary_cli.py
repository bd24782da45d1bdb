"""``padis standards dictionary`` and ``padis standards codes``; docs/dictionary.md stays in sync."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from padis.cli import app
from padis.standards import codes
from padis.standards import dictionary as dic

runner = CliRunner()
DOCS = Path(__file__).resolve().parents[2] / "docs" / "dictionary.md"


def test_dictionary_json_and_yaml_are_the_dictionary() -> None:
    expected = dic.get_dictionary().to_dict()
    result = runner.invoke(app, ["standards", "dictionary", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == expected
    result = runner.invoke(app, ["standards", "dictionary", "--format", "yaml"])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.output) == expected


def test_dictionary_markdown_lists_every_record_and_table() -> None:
    result = runner.invoke(app, ["standards", "dictionary", "--format", "markdown"])
    assert result.exit_code == 0, result.output
    for name in dic.get_dictionary().records:
        assert f"## `{name}` — " in result.output
    for name in codes.list_tables():
        assert f"### `{name}` — " in result.output
    assert "| `id_number` | 公民身份号码 | id_number |" in result.output
    assert "外国血统中国籍人士" in result.output


def test_dictionary_single_record() -> None:
    result = runner.invoke(app, ["standards", "dictionary", "--record", "birth"])
    assert result.exit_code == 0, result.output
    assert "## `birth` — 出生登记" in result.output and "## `person`" not in result.output
    result = runner.invoke(app, ["standards", "dictionary", "-f", "json", "-r", "death"])
    assert json.loads(result.output)["events"] == ["death"]


def test_dictionary_output_file(tmp_path: Path) -> None:
    out = tmp_path / "d.md"
    result = runner.invoke(app, ["standards", "dictionary", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == dic.to_markdown()


def test_unknown_record_is_a_one_line_error() -> None:
    result = runner.invoke(app, ["standards", "dictionary", "--record", "people"])
    assert result.exit_code != 0
    assert "unknown record 'people'" in result.output


def test_codes_lists_tables_and_shows_one() -> None:
    result = runner.invoke(app, ["standards", "codes", "--format", "json"])
    assert result.exit_code == 0, result.output
    listing = json.loads(result.output)
    assert set(listing) == set(codes.list_tables()) and listing["ethnicity"]["codes"] == 58
    result = runner.invoke(app, ["standards", "codes", "ethnicity", "--format", "yaml"])
    assert yaml.safe_load(result.output)["codes"]["56"] == "基诺族"
    result = runner.invoke(app, ["standards", "codes", "hukou_type"])
    assert result.exit_code == 0, result.output
    assert "家庭户口" in result.output and "deprecated" in result.output
    result = runner.invoke(app, ["standards", "codes"])
    assert result.exit_code == 0 and "relationship" in result.output


def test_unknown_table_is_an_error() -> None:
    result = runner.invoke(app, ["standards", "codes", "gender"])
    assert result.exit_code != 0
    assert "unknown code table 'gender'" in result.output


def test_committed_docs_match_the_generated_markdown() -> None:
    assert DOCS.read_text(encoding="utf-8") == dic.to_markdown(), (
        "regenerate: padis standards dictionary --format markdown --output docs/dictionary.md"
    )
