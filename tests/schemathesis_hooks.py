"""Loaded by Schemathesis (``SCHEMATHESIS_HOOKS``) in tests/test_contract.py: a PDF body is sent as the bytes
generated for it, as any other binary body."""

import schemathesis

schemathesis.serializer.alias("application/pdf", "application/octet-stream")
