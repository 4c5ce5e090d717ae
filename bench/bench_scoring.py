"""``python -m bench.bench_scoring``: runs ``bench.drivers.scoring_speed``."""

from bench.drivers.scoring_speed import main

if __name__ == "__main__":
    main()
