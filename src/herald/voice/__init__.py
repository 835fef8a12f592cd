"""Voice call campaigns: agents (call scripts), caller numbers, campaigns of leads, calls and
the dialer that keeps at most `max_concurrent_calls` of a campaign in flight."""
