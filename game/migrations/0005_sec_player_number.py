"""Players get a number per session; their id in the state becomes that number.

Seats that exist already keep their id: their number is their old primary key,
which is what their session's state (and its event log) calls them.
"""

from django.db import migrations, models


def number_existing_seats(apps, schema_editor) -> None:
    Player = apps.get_model("game", "Player")
    for player in Player.objects.all().only("pk"):
        Player.objects.filter(pk=player.pk).update(number=player.pk)


class Migration(migrations.Migration):
    dependencies = [("game", "0004_player_seat_claims")]

    operations = [
        migrations.AddField(
            model_name="player",
            name="number",
            field=models.PositiveIntegerField(null=True),
        ),
        migrations.RunPython(number_existing_seats, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="player",
            name="number",
            field=models.PositiveIntegerField(),
        ),
        migrations.AddConstraint(
            model_name="player",
            constraint=models.UniqueConstraint(
                fields=("session", "number"), name="unique_seat_number"
            ),
        ),
    ]
