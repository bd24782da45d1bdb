"""Statistics and decision support: indicators, comparison, surveys, projection, disclosure, exchange."""
