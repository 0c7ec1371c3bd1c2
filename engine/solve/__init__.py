"""Solving: the planner, closed forms (symbolic), numeric evaluation, catalog keys, the batch solver, the Engine."""
