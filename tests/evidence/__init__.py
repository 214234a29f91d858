"""Evidence that the service holds: crash recovery of a real server, the API against its own OpenAPI
description, property tests of form validation and working time, and security headers and sessions."""
