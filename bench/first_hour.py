"""``python -m bench.first_hour``: runs ``bench.drivers.first_hour``."""

from bench.drivers.first_hour import main

if __name__ == "__main__":
    main()
