"""``python -m bench.bench_status``: runs ``bench.drivers.status``."""

from bench.drivers.status import main

if __name__ == "__main__":
    main()
