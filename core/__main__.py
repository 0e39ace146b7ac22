"""Allows ``python -m ringwatch`` as a synonym of the ``ringwatch`` command."""

from ringwatch.api.cli import main

if __name__ == "__main__":
    main()
