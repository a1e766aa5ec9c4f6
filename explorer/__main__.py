"""`python -m explorer` does what the `botstate-explorer` console script does."""

from explorer.main import main

raise SystemExit(main())
