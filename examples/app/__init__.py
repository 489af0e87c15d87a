"""A small shop API that makes the mistakes flake8-fastapi-prod exists to catch.

Lint it with `flake8 --select FAP --extend-select FAP207,FAP405 examples/app`: each
`# expect:` comment marks a finding (the two off-by-default rules too).
"""
