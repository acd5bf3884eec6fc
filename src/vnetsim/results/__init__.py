"""Results: JSON-ready dictionaries, pandas views and terminal tables."""
