"""``python -m stackbound`` is the ``stackbound`` command."""

from stackbound.cli.app import main

main()
