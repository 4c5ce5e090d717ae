"""``python -m bench.bench_quota``: runs ``bench.drivers.quota``."""

from bench.drivers.quota import main

if __name__ == "__main__":
    main()
