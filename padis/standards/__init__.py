"""National standards: GB 11643 identity numbers, GB/T 2260 divisions, classification codes, the data dictionary."""
