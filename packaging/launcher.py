"""Entry script of the frozen app: the same ``main`` as ``python -m explorer``."""

import multiprocessing

from explorer.main import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    raise SystemExit(main())
