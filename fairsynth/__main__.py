"""``python -m fairsynth``: the command line."""

from .cli import main

raise SystemExit(main())
