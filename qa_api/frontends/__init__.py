"""What every front end shares: the wire models, chat conversations, and the MCP server."""
