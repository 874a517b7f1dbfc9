"""Flags: employees report what they see online; moderators claim, resolve and escalate it in the channel."""
