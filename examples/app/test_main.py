"""Tests for the shop API, with the mistakes that make test suites hang or leak state."""

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from .database import get_db
from .main import app


@pytest.fixture
def db_session():  # expect: FAP506:1
    engine = create_engine("postgresql://shop:shop@localhost/shop_test", pool_size=2, max_overflow=0, pool_pre_ping=True)
    session = Session(engine)
    yield session


@pytest.fixture
async def api_client():  # expect: FAP504:1
    async with httpx.AsyncClient(app=app, base_url="http://test") as client:  # expect: FAP502:16
        yield client


def test_read_item_uses_the_test_database(db_session):
    app.dependency_overrides[get_db] = lambda: db_session  # expect: FAP503:5
    client = TestClient(app)
    assert client.get("/items/1").status_code == 200


async def test_exchange_rates(api_client):  # expect: FAP505:1
    response = await api_client.get("/rates")
    assert response.status_code == 200


@pytest.mark.asyncio
async def test_reports():
    client = TestClient(app)  # expect: FAP501:14
    assert client.post("/reports").status_code == 200
