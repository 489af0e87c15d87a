"""``python -m flake8_fastapi_prod``: the same as the ``flake8-fastapi-prod`` command."""

import sys

from flake8_fastapi_prod.cli import main

sys.exit(main())
