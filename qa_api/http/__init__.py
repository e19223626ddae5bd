"""The HTTP interface: the Flask app factory, its blueprints, problem+json errors and middleware."""
