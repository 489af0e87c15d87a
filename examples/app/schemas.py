"""Request and response models."""

from pydantic import BaseModel, Optional, validator  # expect: FAP304:33


class ItemOut(BaseModel):
    id: int
    name: str
    price: float


class ItemUpdate(BaseModel):
    name: Optional[str] = None
    price: Optional[float] = None

    @validator("price")  # expect: FAP303:6
    def price_is_positive(cls, value):
        if value is not None and value <= 0:
            raise ValueError("price must be positive")
        return value
