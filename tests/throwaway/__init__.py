"""A throwaway domain, built only from its own files plus one entry in a list of domains: proof that the
shared parts (listeners, refs, Block Kit, timed jobs, the outbox) are enough to add a domain."""
