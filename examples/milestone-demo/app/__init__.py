"""The milestone demo app."""
