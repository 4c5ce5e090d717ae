"""``python -m bench.eval_defaulters``: runs ``bench.drivers.eval_defaulters``."""

from bench.drivers.eval_defaulters import main

if __name__ == "__main__":
    main()
