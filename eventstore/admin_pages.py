"""The admin's own pages beside the event list: one stream with its state, one request's tree.

Wired into `EventAdmin.get_urls`, so they share its login, permission (view events) and
breadcrumbs; they only read.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from eventstore.correlation import correlation_tree
from eventstore.models import Event
from eventstore.stream_history import stream_history


def stream_page(request: HttpRequest, model_admin: admin.ModelAdmin[Event], stream_id: str) -> HttpResponse:
    """Every event of one stream in version order, with the aggregate's state after each."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 1
    history = stream_history(stream_id, page) if len(stream_id) <= 128 and "\x00" not in stream_id else None
    if history is None:
        raise Http404(f"No stream with id {stream_id!r}.")
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": f"{history.stream_type} {stream_id}",
        "history": history,
        "pages": range(1, history.page_count + 1) if history.page_count <= 50 else None,
    }
    return TemplateResponse(request, "admin/eventstore/stream.html", context)


def correlation_page(request: HttpRequest, model_admin: admin.ModelAdmin[Event], correlation_id: str) -> HttpResponse:
    """Everything one request caused: its commands, their events and the saga steps, as a tree."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    tree = correlation_tree(correlation_id) if len(correlation_id) <= 200 and "\x00" not in correlation_id else None
    if tree is None or not tree.rows:
        raise Http404(f"No event has correlation id {correlation_id!r}.")
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": f"Request {correlation_id}",
        "tree": tree,
    }
    return TemplateResponse(request, "admin/eventstore/correlation.html", context)
