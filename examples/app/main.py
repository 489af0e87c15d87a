"""The shop's HTTP API."""

import asyncio
import subprocess
import time
from contextlib import asynccontextmanager

import httpx
import requests
from fastapi import Depends, FastAPI
from sqlalchemy.orm import Session

from .database import get_db
from .models import Item

RATES_URL = "https://rates.example.com/latest"


@asynccontextmanager
async def lifespan(app: FastAPI):  # expect: FAP105:1
    app.state.http = httpx.AsyncClient(timeout=10)
    yield


app = FastAPI(lifespan=lifespan)


@app.on_event("startup")  # expect: FAP102:2
async def warm_up() -> None:
    await app.state.http.get("https://rates.example.com/health")


@app.get("/items/{item_id}")
async def read_item(item_id: int, db: Session = Depends(get_db)):  # expect: FAP206:35
    return db.get(Item, item_id)


@app.get("/rates")
async def exchange_rates() -> dict:
    return requests.get(RATES_URL, timeout=5).json()  # expect: FAP201:12


def compress(path: str) -> None:
    subprocess.run(["gzip", "-f", path], check=True)  # a sync helper: fine


@app.post("/reports")
async def build_report() -> dict:
    time.sleep(0.5)  # expect: FAP202:5
    with open("report.csv", "w") as report:  # expect: FAP203:10
        report.write("id,name\n")
    subprocess.run(["sync"], check=True)  # expect: FAP204:5
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, compress, "report.csv")  # expect: FAP207:11
    return {"status": "done"}
