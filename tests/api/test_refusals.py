"""Every command's refusals (`commands_app/api/refusals.py`) are in the OpenAPI document, the README's
command table and docs/commands.md, and each one is really the status it says (checked over HTTP in
the command suites; here, that none of the three documents drifts from the list)."""

import re
from pathlib import Path

import pytest

from commands_app.api.refusals import REFUSALS
from commands_app.api.serializers import COMMAND_SERIALIZERS

ROOT = Path(__file__).resolve().parent.parent.parent
COMMANDS = [serializer.command_class.command_type() for serializer in COMMAND_SERIALIZERS]


def table_rows(text: str) -> dict[str, str]:
    """`| \\`command\\` | … |` rows of a markdown table, by their first cell's command name."""
    rows: dict[str, str] = {}
    for line in text.splitlines():
        if match := re.match(r"^\| `([a-z-]+)` \|(.*)$", line):
            rows.setdefault(match.group(1), "")
            rows[match.group(1)] += match.group(2)
    return rows


def test_every_command_declares_its_refusals_and_every_declared_command_exists():
    assert set(REFUSALS) == set(COMMANDS)
    for command_type, refusals in REFUSALS.items():
        assert refusals, command_type
        assert all(r.status in (404, 409, 422) and r.short and r.when and r.where for r in refusals), command_type


def test_the_readme_table_names_every_refusal_with_its_status():
    rows = table_rows((ROOT / "README.md").read_text())
    for command_type, refusals in REFUSALS.items():
        listed = rows[command_type].rsplit("|", 2)[-2].strip()  # the last cell
        assert listed == "; ".join(f"{r.status} {r.short}" for r in refusals), command_type


def test_docs_commands_says_where_each_rule_lives():
    text = (ROOT / "docs" / "commands.md").read_text()
    for command_type, refusals in REFUSALS.items():
        for refusal in refusals:
            when = refusal.when.replace("|", "/")
            row = f"| `{command_type}` | {refusal.status} {refusal.short} | {when} | `{refusal.where}` |"
            assert row in text, row


@pytest.mark.django_db
def test_the_schema_lists_each_commands_refusals_under_their_status(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for command_type, refusals in REFUSALS.items():
        responses = schema["paths"][f"/api/commands/{command_type}/"]["post"]["responses"]
        for refusal in refusals:
            assert f"- {refusal.when}" in responses[str(refusal.status)]["description"], (command_type, refusal)
