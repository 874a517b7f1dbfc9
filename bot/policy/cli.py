"""`flagpost policy ask` and `flagpost policy import`."""

from __future__ import annotations

import argparse


def add_policy_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sub.add_parser("policy", help="policy answers")
