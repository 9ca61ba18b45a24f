"""Outbox messaging: rows in `pathway.Notification`, small pluggable channel backends."""
