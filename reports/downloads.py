"""A download of a generated report: one format is the file, several a zip (Calico's names)."""

from __future__ import annotations

from dataclasses import dataclass

from auditui.access.scope import ViewerScope
from reports import access
from reports.files import zipped
from reports.models import ReportRun
from reports.renderers import download_name


class UnknownFormat(ValueError):
    pass


@dataclass(frozen=True)
class Download:
    file_name: str
    content_type: str
    body: bytes


def download(run: ReportRun, formats: list[str], scope: ViewerScope) -> Download:
    formats = list(dict.fromkeys(formats)) or list(run.formats)
    unknown = [fmt for fmt in formats if fmt not in run.formats]
    if unknown:
        raise UnknownFormat(f"unknown format {unknown[0]!r}; this report has {', '.join(run.formats)}")
    contents = access.files_for(run, scope, formats)
    names = {fmt: download_name(run.report_type, run.report_name, run.start, run.end, fmt) for fmt in formats}
    if len(formats) == 1:
        [fmt] = formats
        return Download(names[fmt], "text/plain; charset=utf-8", contents[fmt])
    base = download_name(run.report_type, run.report_name, run.start, run.end, "")[:-1]
    return Download(f"{base}.zip", "application/zip", zipped((names[fmt], contents[fmt]) for fmt in formats))
