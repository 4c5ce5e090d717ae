"""``python -m bench.bench_enrol``: runs ``bench.drivers.enrol``."""

from bench.drivers.enrol import main

if __name__ == "__main__":
    main()
