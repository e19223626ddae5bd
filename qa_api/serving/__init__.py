"""Serving under gunicorn: its configuration and worker."""
