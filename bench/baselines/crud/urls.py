from rest_framework.routers import DefaultRouter

from bench.baselines.crud.views import CrudEventViewSet, PlainOrderViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("events", CrudEventViewSet, basename="crud-event")
router.register("orders", PlainOrderViewSet, basename="crud-order")

urlpatterns = router.urls
