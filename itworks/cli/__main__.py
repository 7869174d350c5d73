"""Allow ``python -m itworks.cli``."""

from itworks.cli import main

main()
