"""The shop's HTTP API."""

import asyncio
import subprocess
import time
from contextlib import asynccontextmanager

import httpx
import requests
import uvicorn
from fastapi import Depends, FastAPI, HTTPException, UploadFile
from sqlalchemy import text
from sqlalchemy.orm import Session

from .database import get_db
from .models import Item
from .schemas import ItemOut, ItemUpdate

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
async def read_item(item_id: int, db: Session = Depends(get_db)):  # expect: FAP206:35, FAP405:1
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


@app.patch("/items/{item_id}", response_model=ItemOut)
def update_item(item_id: int, update: ItemUpdate, db: Session = Depends(get_db)):
    item = db.get(Item, item_id)
    if item is None:
        raise HTTPException(status_code=404, detail="no such item")
    for field, value in update.dict().items():  # expect: FAP301:25
        setattr(item, field, value)
    item.name = update.name  # expect: FAP302:5
    db.commit()
    return item


@app.get("/items/search/{name}")
def search_items(name: str, db: Session = Depends(get_db)) -> list[ItemOut]:
    rows = db.execute(text(f"SELECT * FROM items WHERE name = '{name}'"))  # expect: FAP402:23
    return [ItemOut.model_validate(row, from_attributes=True) for row in rows]


@app.post("/items/import")
def import_items(payload: dict) -> dict:  # expect: FAP403:18
    return {"imported": len(payload)}


@app.post("/items/{item_id}/photo")
async def upload_photo(item_id: int, photo: UploadFile) -> dict:
    data = await photo.read()  # expect: FAP404:18
    return {"size": len(data)}


@app.get("/prices/{currency}")
def convert_prices(currency: str) -> dict:
    if currency not in {"EUR", "USD"}:
        raise ValueError(f"unknown currency {currency}")  # expect: FAP401:9
    return {"currency": currency}


if __name__ == "__main__":
    uvicorn.run("app.main:app", host="0.0.0.0", reload=True)  # expect: FAP406:5
