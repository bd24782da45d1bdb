"""Security: staff users, roles, passwords, tokens, the access policy, masking and the audit chain."""
