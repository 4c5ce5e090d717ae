"""``python -m bench.roundtrips``: runs ``bench.drivers.roundtrips``."""

from bench.drivers.roundtrips import main

if __name__ == "__main__":
    main()
