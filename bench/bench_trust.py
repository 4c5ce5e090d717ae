"""``python -m bench.bench_trust``: runs ``bench.drivers.trust``."""

from bench.drivers.trust import main

if __name__ == "__main__":
    main()
