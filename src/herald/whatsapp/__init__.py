"""WhatsApp as a channel: templates synced from the business account, the 24-hour
customer-service window, prices by template category, and Meta's webhooks."""
