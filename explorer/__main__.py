"""`python -m explorer` does what the `botstate-explorer` console script does."""

from explorer.cli.main import main

raise SystemExit(main())
