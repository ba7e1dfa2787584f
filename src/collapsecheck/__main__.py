"""``python -m collapsecheck``: the same entry point as the console script."""

from collapsecheck.cli import main

if __name__ == "__main__":
    main()
