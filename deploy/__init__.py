"""Deployment: the one description of the production services (``deploy.services``), the compose
file generated from it, and the native production rehearsal (``deploy.rehearsal``) that runs it."""
