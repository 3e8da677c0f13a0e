"""Learned risk scoring of import declarations."""
