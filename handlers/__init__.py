"""Thin Slack listeners, one module per domain: read the payload, call one service, render Block Kit.
Each module ends with its domain's `Domain(...)` description, which `bot/domains.py` lists."""
