"""Organisations, their roles and identifiers, users, portal sessions and API tokens."""
