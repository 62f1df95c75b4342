"""Allow `python -m alskg`."""

from .cli import main

main()
