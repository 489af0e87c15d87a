"""flake8-fastapi-prod: a flake8 plugin whose rules are ast-grep patterns in a YAML rulebook."""

__version__ = "0.1.0"
