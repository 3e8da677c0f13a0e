"""Goods declarations: their shape (after the WCO Data Model), validation and lifecycle."""
