"""Example versioned API: a small in-memory collection of items under /api/v1."""

import threading

from fastapi import APIRouter
from pydantic import BaseModel, Field

from .errors import ApiError

router = APIRouter(prefix="/api/v1", tags=["items"])


class ItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    quantity: int = Field(default=0, ge=0)


class Item(ItemIn):
    id: int


class Store:
    """Replace with a real database; the lock keeps concurrent requests consistent."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[int, Item] = {}
        self._next_id = 1

    def list(self) -> list[Item]:
        with self._lock:
            return list(self._items.values())

    def get(self, item_id: int) -> Item | None:
        with self._lock:
            return self._items.get(item_id)

    def add(self, item: ItemIn) -> Item:
        with self._lock:
            created = Item(id=self._next_id, **item.model_dump())
            self._items[created.id] = created
            self._next_id += 1
            return created


store = Store()


@router.get("/items")
def list_items() -> dict:
    return {"items": store.list()}


@router.get("/items/{item_id}")
def get_item(item_id: int) -> Item:
    item = store.get(item_id)
    if item is None:
        raise ApiError(404, "not_found", f"item {item_id} does not exist")
    return item


@router.post("/items", status_code=201)
def create_item(item: ItemIn) -> Item:
    return store.add(item)
