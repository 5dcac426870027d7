"""The service package: HTTP app, telemetry and lifecycle."""
