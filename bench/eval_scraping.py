"""``python -m bench.eval_scraping``: runs ``bench.drivers.eval_scraping``."""

from bench.drivers.eval_scraping import main

if __name__ == "__main__":
    main()
