"""Policy answers. The clause files of the five shipped policies are package data, in `data/`."""

from pathlib import Path

SHIPPED_CLAUSES = Path(__file__).resolve().parent / "data"
