"""The `vnetsim` command."""
