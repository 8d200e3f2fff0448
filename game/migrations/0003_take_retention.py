"""Retention: when a session ended and when its personal data went; a seat's next steps."""

from django.db import migrations, models
from django.db.models import F


def ended_sessions_from_their_last_change(apps, schema_editor) -> None:
    # Sessions that ended before this field existed: their last change is when they ended.
    Session = apps.get_model("game", "Session")
    Session.objects.filter(status="ended", ended_at__isnull=True).update(ended_at=F("updated"))


class Migration(migrations.Migration):
    dependencies = [("game", "0002_ws_event_op_id")]

    operations = [
        migrations.AddField(
            model_name="session",
            name="ended_at",
            field=models.DateTimeField(blank=True, db_index=True, null=True),
        ),
        migrations.AddField(
            model_name="session",
            name="purged_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="player",
            name="next_steps",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(ended_sessions_from_their_last_change, migrations.RunPython.noop),
    ]
