"""Products in the admin: listed with their stock, read-only like every read model."""

import pytest

from tests.api.helpers import project, stock

pytestmark = pytest.mark.django_db


def test_staff_see_products_with_their_stock_and_cannot_change_them(api, staff_client):
    stock(api, "PEN", 7)
    project()
    page = staff_client.get("/admin/queries_app/productstock/", {"q": "PEN"})
    assert [(p.sku, p.on_hand, p.available) for p in page.context["cl"].result_list] == [("PEN", 7, 7)]
    assert staff_client.get("/admin/queries_app/productstock/add/").status_code == 403
    assert staff_client.post("/admin/queries_app/productstock/PEN/delete/", {"post": "yes"}).status_code == 403
