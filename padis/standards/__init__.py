"""National standards: GB 11643 IDs, GB/T 2260 divisions, classification codes, the data dictionary."""
