"""onewindow: an open national single window for trade."""

__version__ = "0.1.0"
