"""Generic command-side machinery: nothing in this package knows the example domain."""
