"""Scenario files: YAML in, validated models out, one per variant."""
