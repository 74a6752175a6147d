"""Integrations with frameworks and task queues: thin layers over the public API."""
