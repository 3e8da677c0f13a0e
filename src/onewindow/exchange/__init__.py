"""The partner gateway: signed messages to and from partner single windows."""
