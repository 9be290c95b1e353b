"""Calico's built-in GlobalReportTypes and auditui's activity-summary, as the operator installs them."""

from django.db import migrations


def install(apps, schema_editor):
    from reports.builtin_types import BUILTIN_TYPES

    GlobalReportType = apps.get_model("reports", "GlobalReportType")
    for name, spec in BUILTIN_TYPES.items():
        GlobalReportType.objects.update_or_create(name=name, defaults={"spec": spec, "builtin": True})


def remove(apps, schema_editor):
    apps.get_model("reports", "GlobalReportType").objects.filter(builtin=True).delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]
