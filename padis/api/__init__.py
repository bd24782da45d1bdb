"""The HTTP API (FastAPI): ``create_app()`` and ``padis serve``."""
