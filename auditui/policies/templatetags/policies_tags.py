"""Template helpers of the policy pages: YAML diff tables (built in Python: a long history has
thousands of diff lines, too many for template loops) and readable values."""

from __future__ import annotations

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from auditui.policies.diff import readable
from auditui.policies.yamldiff import Hunk, Side

register = template.Library()
_SIGN = {"add": "+", "del": "−", "ctx": " "}


def _no(value: int | None) -> str:
    return "" if value is None else str(value)


@register.simple_tag
def unified_diff(hunks: list[Hunk]) -> SafeString:
    rows = []
    for hunk in hunks:
        rows.append(f'<tr class="hunk"><td colspan="4">{escape(hunk.header)}</td></tr>')
        rows.extend(
            f'<tr class="{line.kind}"><td class="ln">{_no(line.old_no)}</td><td class="ln">{_no(line.new_no)}</td>'
            f'<td class="sign">{_SIGN[line.kind]}</td><td class="code">{escape(line.text)}</td></tr>'
            for line in hunk.lines
        )
    return mark_safe('<table class="yaml-diff diff-unified"><tbody>' + "".join(rows) + "</tbody></table>")


@register.simple_tag
def split_diff(hunks: list[Hunk]) -> SafeString:
    rows = []
    for hunk in hunks:
        rows.append(f'<tr class="hunk"><td colspan="4">{escape(hunk.header)}</td></tr>')
        rows.extend(f"<tr>{_side(left)}{_side(right)}</tr>" for left, right in hunk.rows)
    return mark_safe(
        '<table class="yaml-diff diff-split"><colgroup><col class="ln"><col><col class="ln"><col></colgroup>'
        "<tbody>" + "".join(rows) + "</tbody></table>"
    )


def _side(side: Side) -> str:
    return f'<td class="ln {side.kind}">{_no(side.no)}</td><td class="code {side.kind}">{escape(side.text)}</td>'


@register.filter
def value(obj: object) -> str:
    return readable(obj)


@register.simple_tag
def state_badge(exists: bool) -> SafeString:
    if exists:
        return format_html('<span class="state state-exists">{}</span>', "Exists")
    return format_html('<span class="state state-deleted">{}</span>', "Deleted")
