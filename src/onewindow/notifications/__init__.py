"""Notifications: what organisations are told about events, in the portal and by webhooks."""
