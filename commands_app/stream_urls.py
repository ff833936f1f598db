"""`/api/streams/<stream_id>/`: an aggregate's state as of a version or a time (time travel)."""

from django.urls import path

from commands_app.api.streams import StreamStateView

urlpatterns = [
    path("<str:stream_id>/", StreamStateView.as_view(), name="stream-state"),
]
