"""On PostgreSQL, a trigger refuses UPDATE and DELETE of event rows: the log is append-only.

TRUNCATE stays possible (it is not a row change): test suites and a deliberate operator
reset use it. SQLite, the zero-setup default, relies on the application alone.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION eventstore_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'events are immutable: % on eventstore_event is not allowed', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER eventstore_event_immutable
    BEFORE UPDATE OR DELETE ON eventstore_event
    FOR EACH ROW EXECUTE FUNCTION eventstore_refuse_change();
"""

DROP = """
DROP TRIGGER IF EXISTS eventstore_event_immutable ON eventstore_event;
DROP FUNCTION IF EXISTS eventstore_refuse_change();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("eventstore", "0001_initial")]

    # The hint tells a database router this belongs with the event table (`default`).
    operations = [migrations.RunPython(create_trigger, drop_trigger, hints={"model_name": "event"})]
