"""Cluster state rebuilt from the audit log: objects at any instant, Calico selectors, and which
policies select each endpoint (what reports and alerts build on)."""
