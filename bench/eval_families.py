"""``python -m bench.eval_families``: runs ``bench.drivers.eval_families``."""

from bench.drivers.eval_families import main

if __name__ == "__main__":
    main()
