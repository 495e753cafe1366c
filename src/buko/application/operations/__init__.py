"""Running the service: analytics, the audit log, failed tasks, model calls, book milestones."""
