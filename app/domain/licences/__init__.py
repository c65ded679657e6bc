"""Licences after the decision: certificates and their life, the approval–supervision push."""
