"""The organizers' audit log: who changed what, when, before and after (``app.audit.service.record``)."""
