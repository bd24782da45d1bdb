"""Batch identity verification: a columnar join of a batch against the register."""
