"""`/api/streams/<stream_id>/`: an aggregate's state as of a version or a time (time travel)."""

urlpatterns: list = []
