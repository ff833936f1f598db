"""The example domain: customers, orders, products and the order-fulfilment saga. Built on `commands_app.framework`.

It imports the framework and `eventstore`, never HTTP: no `django.http`, no `rest_framework`
(`lint-imports` checks it).
"""
