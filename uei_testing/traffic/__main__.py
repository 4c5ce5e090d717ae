"""``python -m uei_testing.traffic``: see ``uei_testing.traffic.cli``."""

from uei_testing.traffic.cli import main

if __name__ == "__main__":
    main()
