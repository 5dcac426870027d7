"""The python-fastapi template's example API and probes, without its instrumentation:
the comparison for bench/templates.sh. Run in the template's venv, uvicorn as the template
runs it (no access log)."""

import os
import threading

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field


class ItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    quantity: int = Field(default=0, ge=0)


class Item(ItemIn):
    id: int


app = FastAPI(telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False})
_lock = threading.Lock()
_items: dict[int, Item] = {}


@app.get("/healthz")
def healthz() -> dict:
    return {"status": "ok"}


@app.get("/api/v1/items/{item_id}")
def get_item(item_id: int):
    with _lock:
        item = _items.get(item_id)
    if item is None:
        return JSONResponse({"error": {"code": "not_found", "message": f"item {item_id} does not exist"}}, 404)
    return item


@app.post("/api/v1/items", status_code=201)
def create_item(item: ItemIn) -> Item:
    with _lock:
        created = Item(id=len(_items) + 1, **item.model_dump())
        _items[created.id] = created
        return created


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8080")),
                log_config=None, access_log=False)
