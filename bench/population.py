"""``python -m bench.population``: runs ``bench.generators.population``."""

from bench.generators.population import main

if __name__ == "__main__":
    main()
