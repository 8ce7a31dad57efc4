"""`mom milestone N`: checklist-driven milestones (see runner.py for the flow)."""
