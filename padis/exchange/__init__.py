"""Exchange: member agencies, sharing agreements and the query/verify/update/subscription services."""
