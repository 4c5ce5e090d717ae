"""``python -m bench.bench_lookup``: runs ``bench.drivers.lookup``."""

from bench.drivers.lookup import main

if __name__ == "__main__":
    main()
