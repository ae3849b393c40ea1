"""``python -m rft_kit`` runs the ``rft`` command line."""

from .cli import main

main()
