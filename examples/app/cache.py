"""Redis access for caching and rate limiting."""

import redis

cache = redis.Redis(host="cache", port=6379)  # expect: FAP106:9


async def get_rate_limiter() -> redis.Redis:
    return redis.Redis(host="cache", port=6379, db=1)  # expect: FAP205:12
