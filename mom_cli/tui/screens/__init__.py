"""Modal screens: error, budget stop, quit confirmation."""
