"""Requests: access, sharing, new accounts and photos, approved step by step by directors and the CAO."""
