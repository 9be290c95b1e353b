"""Provenance and custody (issue 12, item 5): where each event came from, the upload permission,
pull-source passwords from a secrets directory."""

from django.db import migrations, models

# A plain ADD COLUMN with a constant default: instant on SQLite and PostgreSQL alike, where
# Django's AddField of a NOT NULL column copies the whole events table on SQLite (hours for a
# year of events). Events stored before read as an empty source.
_ADD_SOURCE = 'ALTER TABLE "events_auditevent" ADD COLUMN "source" varchar(512) DEFAULT \'\' NOT NULL'
_DROP_SOURCE = 'ALTER TABLE "events_auditevent" DROP COLUMN "source"'


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0010_limits_drop_rule_errors'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='ingestjob',
            options={'ordering': ['-created_at'], 'permissions': [('upload_events', 'Can upload audit log files into the clusters of their scope')]},
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(_ADD_SOURCE, _DROP_SOURCE)],
            state_operations=[
                migrations.AddField(
                    model_name='auditevent',
                    name='source',
                    field=models.CharField(blank=True, db_default='', default='', max_length=512),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['source', '-time'], name='event_source_time'),
        ),
        migrations.AddField(
            model_name='pullsource',
            name='password_file',
            field=models.CharField(blank=True, help_text='Or: a file under AUDITUI_SECRETS_DIR holding the password (a path relative to it).', max_length=255),
        ),
        migrations.AlterField(
            model_name='pullsource',
            name='password_env',
            field=models.CharField(blank=True, help_text='Name of the environment variable holding the password; it must start with AUDITUI_PULL_ (secrets stay out of the database).', max_length=200),
        ),
    ]
