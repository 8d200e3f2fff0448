"""The state stored by part: the session row keeps the session-wide part ("base"),
a StatePart row each holds one seat and one committee (game.models).

The states saved whole before are split here.
"""

import django.db.models.deletion
from django.db import migrations, models


def split(apps, schema_editor):
    Session = apps.get_model("game", "Session")
    StatePart = apps.get_model("game", "StatePart")
    for session in Session.objects.all():
        state = session.base
        parts = {f"p.{pid}": p for pid, p in state.pop("players").items()}
        parts.update({f"c.{cid}": c for cid, c in state["committees"].items()})
        state["committees"] = list(state["committees"])
        session.save(update_fields=["base"])
        StatePart.objects.bulk_create(
            StatePart(session=session, key=key, data=data) for key, data in parts.items()
        )


def join(apps, schema_editor):
    Session = apps.get_model("game", "Session")
    StatePart = apps.get_model("game", "StatePart")
    for session in Session.objects.all():
        parts = dict(StatePart.objects.filter(session=session).values_list("key", "data"))
        state = session.base
        state["committees"] = {cid: parts[f"c.{cid}"] for cid in state["committees"]}
        seats = sorted((k[2:] for k in parts if k.startswith("p.")), key=lambda p: (len(p), p))
        state["players"] = {pid: parts[f"p.{pid}"] for pid in seats}
        session.save(update_fields=["base"])


class Migration(migrations.Migration):
    dependencies = [
        ("game", "0006_session_streams"),
    ]

    operations = [
        migrations.RenameField(model_name="session", old_name="state", new_name="base"),
        migrations.CreateModel(
            name="StatePart",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=20)),
                ("data", models.JSONField()),
                (
                    "session",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="parts",
                        to="game.session",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("session", "key"), name="unique_state_part")
                ],
            },
        ),
        migrations.RunPython(split, join),
    ]
