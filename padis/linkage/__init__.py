"""Record linkage of person records with Splink 5: Chinese-aware comparisons, blocking, EM, clustering."""
