"""The expression language: sorts, node classes, the reference interpreter and the printer."""
