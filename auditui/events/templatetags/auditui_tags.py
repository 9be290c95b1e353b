"""Template helpers: a server-rendered SVG histogram (no JS needed) and small formatting tags."""

from __future__ import annotations

from collections.abc import Sequence

from django import template
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from auditui.events.store import Bucket

register = template.Library()

_WIDTH, _HEIGHT, _BOTTOM, _TOP = 960, 160, 18, 14


@register.simple_tag
def histogram_svg(buckets: Sequence[Bucket], label: str = "events") -> SafeString:
    """Bars scaled to the largest bucket; each has a tooltip with its local time and count."""
    if not buckets:
        return format_html('<p class="empty">No data.</p>')
    peak = max(b.count for b in buckets) or 1
    slot = _WIDTH / len(buckets)
    usable = _HEIGHT - _BOTTOM - _TOP
    bars = []
    for index, bucket in enumerate(buckets):
        local = timezone.localtime(bucket.start)
        height = round(usable * bucket.count / peak, 1)
        bars.append((
            round(index * slot + 1, 1), round(_TOP + usable - height, 1), round(max(slot - 2, 1), 1), height,
            f"{local:%Y-%m-%d %H:%M %Z}: {bucket.count:,} {label}",
        ))
    rects = format_html_join(
        "", '<rect class="bar" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>', bars
    )
    ticks = format_html_join(
        "", '<text x="{}" y="{}">{}</text>',
        ((round(i * slot + 2, 1), _HEIGHT - 4, f"{timezone.localtime(b.start):%H:%M}")
         for i, b in enumerate(buckets) if i % max(len(buckets) // 8, 1) == 0),
    )
    return format_html(
        '<svg viewBox="0 0 {} {}" preserveAspectRatio="none" role="img" aria-label="{}">'
        '<line class="axis" x1="0" y1="{}" x2="{}" y2="{}"></line>{}{}'
        '<text x="{}" y="10" text-anchor="end">max {}</text></svg>',
        _WIDTH, _HEIGHT, f"histogram of {label}", _TOP + usable, _WIDTH, _TOP + usable, rects, ticks, _WIDTH - 2,
        f"{peak:,}",
    )


@register.filter
def code_class(code: int | None) -> str:
    if code is None:
        return ""
    return "code-bad" if code >= 400 else "code-ok"
