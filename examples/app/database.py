"""Database setup, written the way many tutorials do it."""

from sqlalchemy import create_engine
from sqlalchemy.orm import DeclarativeBase, sessionmaker

DATABASE_URL = "postgresql+psycopg://shop:shop@db:5432/shop"

engine = create_engine(DATABASE_URL, echo=False)  # expect: FAP101:10, FAP103:10, FAP104:10
SessionLocal = sessionmaker(bind=engine, autoflush=False)


class Base(DeclarativeBase):
    pass


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()
