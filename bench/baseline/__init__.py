"""The serving setup before nginx in front of gunicorn, for ``bench/http`` to measure the current one against."""
