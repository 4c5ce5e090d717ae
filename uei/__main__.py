"""``python -m uei``: the ``uei`` command."""

from uei.app.cli import main

if __name__ == "__main__":
    main()
