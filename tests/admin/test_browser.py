"""The admin in a real browser: headless Debian Chromium driven by Playwright, against a live server.

Playwright's own browser download cannot work here, so it launches the `chromium` on PATH
(`make install` installs Debian's package). Without one the test skips locally, but fails
under CI (CI=true), where the browser must be there.
"""

import os
import shutil
import uuid
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from commands_app.domain.commands import AddItem, AddProduct, OrderLine, PlaceOrder, RegisterCustomer
from commands_app.framework.bus import CommandContext
from commands_app.wiring import command_bus

CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # runs as root in CI
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "a browser-typed password"

if CHROMIUM is None and os.environ.get("CI", "").lower() not in ("1", "true", "yes"):
    pytest.skip("no chromium on PATH (`make install` installs it as root)", allow_module_level=True)


@pytest.fixture
def shop(transactional_db) -> dict:
    """An operator account and one order with an item added, written through the command bus."""
    get_user_model().objects.create_superuser("operator", "operator@example.com", PASSWORD)
    bus = command_bus()
    context = CommandContext(user="ada")
    customer = bus.dispatch(RegisterCustomer(name="Ada", email="ada@example.com"), context).aggregate_id
    for sku, price in (("WIDGET", "9.99"), ("LAMP", "19.99")):  # order lines take the catalogue's price
        bus.dispatch(AddProduct(sku=sku, name=f"The {sku.lower()}", price=Decimal(price)), CommandContext(user="op"))
    line = OrderLine(sku="WIDGET", quantity=2, unit_price=Decimal("9.99"))
    order = bus.dispatch(PlaceOrder(customer_id=uuid.UUID(customer), items=(line,)), context).aggregate_id
    bus.dispatch(AddItem(order_id=uuid.UUID(order), sku="LAMP", quantity=1, unit_price=Decimal("19.99")), context)
    return {"customer": customer, "order": order}


def test_log_in_filter_the_events_read_a_stream_page_and_the_docs_under_the_csp(live_server, shop, tmp_path):
    assert CHROMIUM, "CI must have chromium on PATH: `make install` installs Debian's package"
    from playwright.sync_api import sync_playwright  # only where the test runs

    screenshot = tmp_path / "admin-stream-page.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(15_000)
            # The pages must work under the site's Content-Security-Policy: Chromium reports
            # every refused script, style or image on the console.
            refused = []
            page.on(
                "console", lambda message: refused.append(message.text) if "Content Security" in message.text else None
            )
            page.on("pageerror", lambda error: refused.append(str(error)))
            login = page.goto(f"{live_server.url}/admin/login/?next=/admin/eventstore/event/")
            assert "script-src 'self'" in login.headers["content-security-policy"]
            page.fill("#id_username", "operator")
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            page.wait_for_url("**/admin/eventstore/event/")
            assert page.locator("#result_list tbody tr").count() == 5  # the customer, 2 products, the order, its item

            # The sidebar filter "By event type" → ItemAdded leaves one row.
            page.locator("#changelist-filter").get_by_role("link", name="ItemAdded").click()
            page.wait_for_url("**event_type=ItemAdded**")
            rows = page.locator("#result_list tbody tr")
            assert rows.count() == 1 and "ItemAdded" in rows.first.inner_text()

            rows.first.get_by_role("link", name=shop["order"]).click()
            page.wait_for_url(f"**/admin/eventstore/event/stream/{shop['order']}/")
            entries = page.locator("tr.history-entry")
            assert entries.count() == 2
            assert page.locator("#stream-type").inner_text() == "Order"
            first, second = (entries.nth(i).locator("td.state").inner_text() for i in (0, 1))
            assert 'status: "placed"' in first and "WIDGET" in first and "LAMP" not in first
            assert "WIDGET" in second and "LAMP" in second
            changed = entries.nth(1).locator(".changed")
            assert {changed.nth(i).get_attribute("data-key") for i in range(changed.count())} == {
                "lines",
                "ordered_skus",
            }

            page.screenshot(path=str(screenshot), full_page=True)

            # From the item's row to everything its request caused.
            entries.nth(1).get_by_role("link", name="whole request").click()
            page.wait_for_url("**/admin/eventstore/event/correlation/**")
            tree = page.locator("#correlation-tree tbody tr")
            assert [tree.nth(i).get_attribute("class") for i in range(tree.count())] == ["command", "event"] * 3
            assert page.locator(".command-type").all_inner_texts() == ["register-customer", "place-order", "add-item"]
            page.screenshot(path=str(tmp_path / "admin-request-page.png"), full_page=True)

            # Swagger UI, with the same session: it loads the schema and lists the operations.
            docs = page.goto(f"{live_server.url}/api/docs/")
            assert "script-src 'self'" in docs.headers["content-security-policy"]
            page.locator(".opblock-summary-path").first.wait_for()
            assert page.locator(".opblock").count() >= 10  # every command and query
            assert refused == [], refused
        finally:
            browser.close()
    assert screenshot.stat().st_size > 10_000
    print(f"screenshots of the admin's stream and request pages: {screenshot}, {tmp_path / 'admin-request-page.png'}")
