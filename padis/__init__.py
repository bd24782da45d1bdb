"""padis: population administration and decision information system."""

__version__ = "0.1.0"
