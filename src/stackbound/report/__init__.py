"""Report writers: turn results into tables, documents and files."""
