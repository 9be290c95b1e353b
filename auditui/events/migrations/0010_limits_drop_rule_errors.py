"""Drop rules count the events they could not be evaluated on (kept, not dropped)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0009_ingest_job_heartbeat'),
    ]

    operations = [
        migrations.AddField(
            model_name='droprule',
            name='error_total',
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name='droprule',
            name='last_error',
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name='droprule',
            name='last_error_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]
