"""Try Flagpost without Slack: the real bot in HTTP mode, on its own SQLite, against the Slack stand-in, with
a page on 127.0.0.1 that plays Slack (`flagpost sandbox`)."""
