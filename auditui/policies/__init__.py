"""The policy changelog: every change to every network policy, rebuilt from audit events."""
