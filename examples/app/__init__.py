"""A small shop API that makes the mistakes flake8-fastapi-prod exists to catch.

Lint it with `flake8 --select FAP examples/app`: each `# expect:` comment marks a finding.
"""
