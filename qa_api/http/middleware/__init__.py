"""Request middleware: API keys, CORS and rate limits."""
