"""``python -m onewindow`` is the ``onewindow`` command."""

from onewindow.cli import main

main()
