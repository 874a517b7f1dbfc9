"""Password rotation for shared social-media logins (Taber 1.03(f): every 60 days)."""
