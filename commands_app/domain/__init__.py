"""The example domain: customers and orders. Built on `commands_app.framework`."""
