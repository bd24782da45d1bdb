"""Synthetic population, life events and agency extracts with realistic errors and known ground truth."""
