"""stackbound."""
